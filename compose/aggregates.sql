-- rtd-tui aggregates job: exact running aggregates of a sales topic, for
-- `rtd-tui --source aggregates`. Plain Flink SQL for Flink 2.2; run it with
--   sql-client.sh -j flink-sql-connector-kafka-5.0.0-2.2.jar -f <this file>
-- (org.apache.flink:flink-sql-connector-kafka:5.0.0-2.2 on Maven Central).
-- Rendered by `rtd-tui aggregate --print-sql` for raw topic csv-data.
-- The validation below is rtd_tui/records.py's (same rules, same order, same reason
-- names); docs/flink-job.md lists the few inputs where Flink's JSON parser differs.

SET 'pipeline.name' = 'rtd-tui aggregate csv-data';
SET 'execution.runtime-mode' = 'streaming';
SET 'execution.checkpointing.interval' = '1000 ms';
SET 'execution.checkpointing.mode' = 'EXACTLY_ONCE';
SET 'table.exec.sink.upsert-materialize' = 'NONE';
SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.allow-latency' = '200 ms';
SET 'table.exec.mini-batch.size' = '5000';

CREATE TEMPORARY TABLE raw_messages (
  msg_key BYTES,
  msg_value BYTES,
  part INT METADATA FROM 'partition' VIRTUAL,
  off BIGINT METADATA FROM 'offset' VIRTUAL,
  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,
  proc AS PROCTIME()
) WITH (
  'connector' = 'kafka',
  'topic' = 'csv-data',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'rtd-tui-aggregate-csv-data',
  'properties.isolation.level' = 'read_committed',
  'properties.commit.offsets.on.checkpoint' = 'true',
  'scan.startup.mode' = 'earliest-offset',
  'key.format' = 'raw',
  'key.fields' = 'msg_key',
  'value.format' = 'raw',
  'value.fields-include' = 'EXCEPT_KEY'
);

CREATE TEMPORARY TABLE aggregates (
  kind STRING,
  name STRING,
  records BIGINT,
  cents BIGINT,
  max_offset BIGINT,
  last_ts BIGINT,
  PRIMARY KEY (kind, name) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'csv-data-aggregates',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.transaction.timeout.ms' = '900000',
  'key.format' = 'json',
  'value.format' = 'json',
  'value.fields-include' = 'ALL',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = 'rtd-tui-aggregate-csv-data-aggregates'
);

-- Each message as text, with NaN/Infinity (valid for Python's json, not for Flink's)
-- spelled as 1e999: an infinite number, which every check below judges as Python does.
CREATE TEMPORARY VIEW texts AS
SELECT part, off, ts, proc, msg_key, msg_value,
  DECODE(msg_value, 'UTF-8') AS txt,
  CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING)
    WHEN NOT REGEXP(DECODE(msg_value, 'UTF-8'), 'NaN|Infinity') THEN DECODE(msg_value, 'UTF-8')
    ELSE REGEXP_REPLACE(REGEXP_REPLACE(DECODE(msg_value, 'UTF-8'),
      '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999')
  END AS doc
FROM raw_messages;

-- Each field's JSON token (wrapped in [ ], NULL for JSON null) and its text value.
CREATE TEMPORARY VIEW fields AS
SELECT part, off, ts, proc, msg_key, msg_value, txt, doc,
  -- exactly one JSON value, as Python's json.loads wants (Flink's parser ignores what
  -- follows the first value: no text can close both wrappers early)
  CONCAT('[', doc, ']') IS JSON AND CONCAT('{"v":', doc, '}') IS JSON AS is_json,
  doc IS JSON OBJECT AS is_object,
  JSON_QUERY(doc, '$.keys()') AS keys_json,
  SUBSTRING(JSON_QUERY(doc, '$.id' WITH ARRAY WRAPPER) FROM 2 FOR CHAR_LENGTH(JSON_QUERY(doc, '$.id' WITH ARRAY WRAPPER)) - 2) AS id_tok,
  SUBSTRING(JSON_QUERY(doc, '$.nome' WITH ARRAY WRAPPER) FROM 2 FOR CHAR_LENGTH(JSON_QUERY(doc, '$.nome' WITH ARRAY WRAPPER)) - 2) AS nome_tok,
  JSON_VALUE(doc, '$.nome') AS nome_val,
  SUBSTRING(JSON_QUERY(doc, '$.idade' WITH ARRAY WRAPPER) FROM 2 FOR CHAR_LENGTH(JSON_QUERY(doc, '$.idade' WITH ARRAY WRAPPER)) - 2) AS idade_tok,
  SUBSTRING(JSON_QUERY(doc, '$.cidade' WITH ARRAY WRAPPER) FROM 2 FOR CHAR_LENGTH(JSON_QUERY(doc, '$.cidade' WITH ARRAY WRAPPER)) - 2) AS cidade_tok,
  JSON_VALUE(doc, '$.cidade') AS cidade_val,
  SUBSTRING(JSON_QUERY(doc, '$.valor' WITH ARRAY WRAPPER) FROM 2 FOR CHAR_LENGTH(JSON_QUERY(doc, '$.valor' WITH ARRAY WRAPPER)) - 2) AS valor_tok,
  SUBSTRING(JSON_QUERY(doc, '$.timestamp' WITH ARRAY WRAPPER) FROM 2 FOR CHAR_LENGTH(JSON_QUERY(doc, '$.timestamp' WITH ARRAY WRAPPER)) - 2) AS timestamp_tok,
  JSON_VALUE(doc, '$.timestamp') AS timestamp_val
FROM texts;

CREATE TEMPORARY VIEW judged AS
SELECT part, off, proc,
  TIMESTAMPDIFF(SECOND, TO_TIMESTAMP_LTZ(0, 3), ts) * 1000 + EXTRACT(MILLISECOND FROM ts)
    AS ts_ms,
  CASE WHEN msg_value IS NULL AND msg_key IS NOT NULL
    AND REGEXP(DECODE(msg_key, 'UTF-8'), '^[0-9]+\z') THEN TRY_CAST(DECODE(msg_key, 'UTF-8') AS INT)
  ELSE TRY_CAST(id_tok AS INT) END AS id,
  cidade_val AS city,
  TRY_CAST(idade_tok AS INT) AS age,
  CASE WHEN REGEXP(valor_tok, '^-?[0-9]+\z') THEN TRY_CAST(valor_tok AS BIGINT) * 100
    WHEN ABS(TRY_CAST(valor_tok AS DOUBLE)) <= 2000.0
    THEN CAST(ROUND(TRY_CAST(valor_tok AS DOUBLE) * 100, 0) AS BIGINT) END AS cents,
  msg_value IS NULL AND msg_key IS NOT NULL
    AND REGEXP(DECODE(msg_key, 'UTF-8'), '^[0-9]+\z') AS is_tombstone,
  CASE
    WHEN msg_value IS NULL AND msg_key IS NULL THEN 'tombstone without key'
    WHEN msg_value IS NULL AND NOT REGEXP(DECODE(msg_key, 'UTF-8'), '^[0-9]+\z') THEN 'tombstone with bad key'
    WHEN msg_value IS NULL THEN CAST(NULL AS STRING)
    WHEN REGEXP(txt, '^[ \t\n\r\x0B\x0C]*\z') THEN 'empty message'
    WHEN CHAR_LENGTH(DECODE(msg_value, 'ISO-8859-1')) > 65536 THEN 'message too large'
    WHEN ENCODE(txt, 'UTF-8') <> msg_value THEN 'invalid UTF-8'
    WHEN NOT is_json THEN 'not JSON'
    WHEN NOT is_object THEN 'not an object'
    WHEN NOT REGEXP(keys_json, '[,\[]"id"[,\]]') THEN 'missing field: id'
    WHEN NOT REGEXP(keys_json, '[,\[]"nome"[,\]]') THEN 'missing field: nome'
    WHEN NOT REGEXP(keys_json, '[,\[]"idade"[,\]]') THEN 'missing field: idade'
    WHEN NOT REGEXP(keys_json, '[,\[]"cidade"[,\]]') THEN 'missing field: cidade'
    WHEN NOT REGEXP(keys_json, '[,\[]"valor"[,\]]') THEN 'missing field: valor'
    WHEN NOT REGEXP(keys_json, '[,\[]"timestamp"[,\]]') THEN 'missing field: timestamp'
    WHEN id_tok IS NULL OR NOT REGEXP(id_tok, '^-?[0-9]+\z') OR REGEXP(txt, '[{,]\s*"id"\s*:\s*-?[0-9]+[.eE]') THEN 'wrong type: id'
    WHEN idade_tok IS NULL OR NOT REGEXP(idade_tok, '^-?[0-9]+\z') OR REGEXP(txt, '[{,]\s*"idade"\s*:\s*-?[0-9]+[.eE]') THEN 'wrong type: idade'
    WHEN valor_tok IS NULL OR NOT REGEXP(valor_tok, '^-?[0-9]') THEN 'wrong type: valor'
    WHEN nome_tok IS NULL OR NOT REGEXP(nome_tok, '^"') THEN 'wrong type: nome'
    WHEN cidade_tok IS NULL OR NOT REGEXP(cidade_tok, '^"') THEN 'wrong type: cidade'
    WHEN timestamp_tok IS NULL OR NOT REGEXP(timestamp_tok, '^"') THEN 'wrong type: timestamp'
    WHEN NOT REGEXP(valor_tok, '^-?[0-9]+\z') AND ABS(TRY_CAST(valor_tok AS DOUBLE)) > 1.7976931348623157E308 THEN 'not finite: valor'
    WHEN NOT (TRY_CAST(id_tok AS DOUBLE) BETWEEN 1000.0 AND 9999.0) THEN 'out of range: id'
    WHEN NOT (TRY_CAST(idade_tok AS DOUBLE) BETWEEN 18.0 AND 80.0) THEN 'out of range: idade'
    WHEN NOT (TRY_CAST(valor_tok AS DOUBLE) BETWEEN 50.0 AND 2000.0) THEN 'out of range: valor'
    WHEN NOT REGEXP(valor_tok, '^-?[0-9]+\z') AND ROUND(CASE WHEN ABS(TRY_CAST(valor_tok AS DOUBLE)) <= 2000.0 THEN TRY_CAST(valor_tok AS DOUBLE) END, 2) <> TRY_CAST(valor_tok AS DOUBLE) THEN 'more than 2 decimals: valor'
    WHEN REGEXP(nome_val, '^[\x{9}-\x{D}\x{1C}-\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}-\x{2029}\x{202F}\x{205F}\x{3000}]*\z') THEN 'empty field: nome'
    WHEN REGEXP(nome_val, '[\x00-\x1f\x7f-\x9f]') THEN 'control characters: nome'
    WHEN REGEXP(nome_val, '[\x{D800}-\x{DFFF}]') THEN 'invalid UTF-8'
    WHEN REGEXP(cidade_val, '[\x00-\x1f\x7f-\x9f]') THEN 'control characters: cidade'
    WHEN REGEXP(cidade_val, '[\x{D800}-\x{DFFF}]') THEN 'invalid UTF-8'
    WHEN REGEXP(timestamp_val, '[\x00-\x1f\x7f-\x9f]') THEN 'control characters: timestamp'
    WHEN REGEXP(timestamp_val, '[\x{D800}-\x{DFFF}]') THEN 'invalid UTF-8'
    WHEN cidade_val NOT IN ('São Paulo', 'Rio de Janeiro', 'Brasília', 'Fortaleza', 'Salvador', 'Belo Horizonte', 'Manaus', 'Curitiba', 'Recife', 'Goiânia', 'Porto Alegre', 'Belém', 'Campinas', 'São Luís', 'Maceió', 'Campo Grande', 'Teresina', 'João Pessoa', 'Natal', 'Cuiabá', 'Aracaju', 'Florianópolis', 'Boa Vista', 'Vitória', 'Palmas') THEN 'unknown city'
    WHEN NOT REGEXP(timestamp_val, '^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,9})?)?(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])?\z') THEN 'bad timestamp'
    ELSE CAST(NULL AS STRING)
  END AS reason
FROM fields;

-- Valid records and tombstones of ids in range, each with its id's generation: the
-- number of the id's tombstones read before it (the ids' order is their partition's).
CREATE TEMPORARY VIEW generations AS
SELECT id, city, age, cents, is_tombstone, proc,
  SUM(CASE WHEN is_tombstone THEN 1 ELSE 0 END) OVER (
    PARTITION BY id ORDER BY proc ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS gen
FROM judged
WHERE (is_tombstone OR reason IS NULL) AND id BETWEEN 1000 AND 9999;

CREATE TEMPORARY VIEW current_generation AS
SELECT id, MAX(gen) AS gen FROM generations GROUP BY id;

-- Per id, city and age: running count and cents, and where the current generation began.
CREATE TEMPORARY VIEW cell_runs AS
SELECT id, city, age, gen, cents, proc,
  LAG(gen) OVER w AS prev_gen,
  COUNT(*) OVER w AS run_n,
  SUM(cents) OVER w AS run_cents
FROM generations
WHERE NOT is_tombstone
WINDOW w AS (PARTITION BY id, city, age ORDER BY proc);

CREATE TEMPORARY VIEW cell_lives AS
SELECT id, city, age, gen, proc,
  run_n - LAST_VALUE(CASE WHEN prev_gen IS NULL OR prev_gen <> gen THEN run_n - 1 END)
    OVER w AS live_n,
  run_cents - LAST_VALUE(CASE WHEN prev_gen IS NULL OR prev_gen <> gen
    THEN run_cents - cents END) OVER w AS live_cents
FROM cell_runs
WINDOW w AS (PARTITION BY id, city, age ORDER BY proc
  ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);

-- The latest figures of each (id, city, age): one row a key, updated in place.
CREATE TEMPORARY VIEW cell_latest AS
SELECT id, city, age, gen, live_n, live_cents FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY id, city, age ORDER BY proc DESC) AS rn
  FROM cell_lives)
WHERE rn = 1;

INSERT INTO aggregates
SELECT 'cell', CONCAT(c.city, '|', CAST(c.age AS STRING)), SUM(c.live_n), SUM(c.live_cents),
  CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)
FROM cell_latest AS c JOIN current_generation AS g ON c.id = g.id AND c.gen = g.gen
GROUP BY c.city, c.age
UNION ALL
SELECT 'rejected', reason, COUNT(*), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT),
  CAST(NULL AS BIGINT)
FROM judged WHERE reason IS NOT NULL GROUP BY reason
UNION ALL
SELECT 'partition', CAST(part AS STRING), COUNT(*), CAST(NULL AS BIGINT), MAX(off), MAX(ts_ms)
FROM judged GROUP BY part
UNION ALL
SELECT 'tombstones', '', COUNT(*), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT),
  CAST(NULL AS BIGINT)
FROM judged WHERE is_tombstone GROUP BY 'tombstones';
