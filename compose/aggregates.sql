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
-- RocksDB with incremental checkpoints: a checkpoint writes what changed since the last,
-- where the heap backend writes the whole state every time (a core's worth when idle).
SET 'state.backend.type' = 'rocksdb';
SET 'execution.checkpointing.incremental' = 'true';
SET 'table.exec.sink.upsert-materialize' = 'NONE';
SET 'pipeline.object-reuse' = 'true';
SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.allow-latency' = '200 ms';
SET 'table.exec.mini-batch.size' = '5000';
SET 'table.optimizer.reuse-optimize-block-with-digest-enabled' = 'true';

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

-- Two sinks on the same upsert topic (disjoint keys): the city cells, and the other
-- counts. Two INSERTs in one statement set let the planner judge each message once
-- and feed both from that (table.optimizer.reuse-optimize-block-with-digest-enabled).
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
  'sink.transactional-id-prefix' = 'rtd-tui-aggregate-csv-data-aggregates-cells'
);

CREATE TEMPORARY TABLE aggregates_counts (
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
  'sink.transactional-id-prefix' = 'rtd-tui-aggregate-csv-data-aggregates-counts'
);

-- Each message as text, and whether it is spelled exactly as producers write a valid
-- record: the fast path, one regular expression and no JSON parse. `RAND() < 2` is
-- always true; being non-deterministic, it stops the planner from copying the views'
-- expressions into every expression that reads them, so each runs once a message.
CREATE TEMPORARY VIEW texts AS
SELECT part, off, ts, proc, msg_key, msg_value, txt, SPLIT(txt, '"') AS pieces,
  RAND() < 2 AND COALESCE(REGEXP(txt, '^\{"id": ?[1-9][0-9]{0,8}, ?"nome": ?"\p{L}[\p{L}\p{M} .''-]{0,199}", ?"idade": ?[1-9][0-9]{0,2}, ?"cidade": ?"(?:São Paulo|Rio de Janeiro|Brasília|Fortaleza|Salvador|Belo Horizonte|Manaus|Curitiba|Recife|Goiânia|Porto Alegre|Belém|Campinas|São Luís|Maceió|Campo Grande|Teresina|João Pessoa|Natal|Cuiabá|Aracaju|Florianópolis|Boa Vista|Vitória|Palmas)", ?"valor": ?(?:0|[1-9][0-9]{0,6})(?:\.[0-9]{1,2})?, ?"timestamp": ?"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,9})?)?(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])?"\}\z'), FALSE) AS fast
FROM (SELECT *, DECODE(msg_value, 'UTF-8') AS txt FROM raw_messages);

-- Fast path: the id, age, city and amount from the fixed layout (the pieces between
-- the quotes).
-- Other messages: each field's JSON token (wrapped in [ ], NULL for JSON null) and its
-- text value, with NaN/Infinity (valid for Python's json, not for Flink's) spelled as
-- 1e999: an infinite number, which every check below judges as Python does.
CREATE TEMPORARY VIEW fields AS
SELECT part, off, ts, proc, msg_key, msg_value, txt, RAND() < 2 AND fast AS fast,
  CASE WHEN fast THEN CAST(TRIM(REPLACE(REPLACE(pieces[3], ':', ''), ',', '')) AS INT) END AS fast_id,
  CASE WHEN fast THEN CAST(TRIM(REPLACE(REPLACE(pieces[9], ':', ''), ',', '')) AS INT) END AS fast_age,
  CASE WHEN fast THEN pieces[12] END AS fast_city,
  CASE WHEN fast THEN CAST(TRIM(REPLACE(REPLACE(pieces[15], ':', ''), ',', '')) AS DOUBLE) END AS fast_valor,
  CASE WHEN fast THEN CAST(ROUND(CAST(TRIM(REPLACE(REPLACE(pieces[15], ':', ''), ',', '')) AS DOUBLE) * 100, 0) AS BIGINT) END AS fast_cents,
  -- exactly one JSON value, as Python's json.loads wants (Flink's parser ignores what
  -- follows the first value: no text can close both wrappers early)
  CASE WHEN NOT fast THEN CONCAT('[', (CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END), ']') IS JSON
    AND CONCAT('{"v":', (CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END), '}') IS JSON END AS is_json,
  CASE WHEN NOT fast THEN (CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END) IS JSON OBJECT END AS is_object,
  CASE WHEN NOT fast THEN JSON_QUERY((CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END), '$.keys()') END AS keys_json,
  CASE WHEN NOT fast THEN SUBSTRING(JSON_QUERY((CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END), '$.id' WITH ARRAY WRAPPER) FROM 2 FOR CHAR_LENGTH(JSON_QUERY((CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END), '$.id' WITH ARRAY WRAPPER)) - 2) END AS id_tok,
  CASE WHEN NOT fast THEN SUBSTRING(JSON_QUERY((CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END), '$.nome' WITH ARRAY WRAPPER) FROM 2 FOR CHAR_LENGTH(JSON_QUERY((CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END), '$.nome' WITH ARRAY WRAPPER)) - 2) END AS nome_tok,
  CASE WHEN NOT fast THEN JSON_VALUE((CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END), '$.nome') END AS nome_val,
  CASE WHEN NOT fast THEN SUBSTRING(JSON_QUERY((CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END), '$.idade' WITH ARRAY WRAPPER) FROM 2 FOR CHAR_LENGTH(JSON_QUERY((CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END), '$.idade' WITH ARRAY WRAPPER)) - 2) END AS idade_tok,
  CASE WHEN NOT fast THEN SUBSTRING(JSON_QUERY((CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END), '$.cidade' WITH ARRAY WRAPPER) FROM 2 FOR CHAR_LENGTH(JSON_QUERY((CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END), '$.cidade' WITH ARRAY WRAPPER)) - 2) END AS cidade_tok,
  CASE WHEN NOT fast THEN JSON_VALUE((CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END), '$.cidade') END AS cidade_val,
  CASE WHEN NOT fast THEN SUBSTRING(JSON_QUERY((CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END), '$.valor' WITH ARRAY WRAPPER) FROM 2 FOR CHAR_LENGTH(JSON_QUERY((CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END), '$.valor' WITH ARRAY WRAPPER)) - 2) END AS valor_tok,
  CASE WHEN NOT fast THEN SUBSTRING(JSON_QUERY((CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END), '$.timestamp' WITH ARRAY WRAPPER) FROM 2 FOR CHAR_LENGTH(JSON_QUERY((CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END), '$.timestamp' WITH ARRAY WRAPPER)) - 2) END AS timestamp_tok,
  CASE WHEN NOT fast THEN JSON_VALUE((CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING) WHEN NOT REGEXP(txt, 'NaN|Infinity') THEN txt ELSE REGEXP_REPLACE(REGEXP_REPLACE(txt, '(?s)-Infinity(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '-1e999'), '(?s)(?<!-)(?:NaN|Infinity)(?=(?:[^"\\]|\\.)*+(?:"(?:[^"\\]|\\.)*+"(?:[^"\\]|\\.)*+)*+\z)', '1e999') END), '$.timestamp') END AS timestamp_val
FROM texts;

CREATE TEMPORARY VIEW judged AS
SELECT part, off, proc,
  TIMESTAMPDIFF(SECOND, TO_TIMESTAMP_LTZ(0, 3), ts) * 1000 + EXTRACT(MILLISECOND FROM ts)
    AS ts_ms,
  CASE WHEN fast THEN fast_id
    WHEN msg_value IS NULL AND msg_key IS NOT NULL
    AND REGEXP(DECODE(msg_key, 'UTF-8'), '^[0-9]+\z') THEN TRY_CAST(DECODE(msg_key, 'UTF-8') AS INT)
  ELSE TRY_CAST(id_tok AS INT) END AS id,
  CASE WHEN fast THEN fast_city ELSE cidade_val END AS city,
  CASE WHEN fast THEN fast_age ELSE TRY_CAST(idade_tok AS INT) END AS age,
  CASE WHEN fast THEN fast_cents
    WHEN REGEXP(valor_tok, '^-?[0-9]+\z') THEN TRY_CAST(valor_tok AS BIGINT) * 100
    WHEN ABS(TRY_CAST(valor_tok AS DOUBLE)) <= 2000.0
    THEN CAST(ROUND(TRY_CAST(valor_tok AS DOUBLE) * 100, 0) AS BIGINT) END AS cents,
  msg_value IS NULL AND msg_key IS NOT NULL
    AND REGEXP(DECODE(msg_key, 'UTF-8'), '^[0-9]+\z') AS is_tombstone,
  CASE WHEN fast THEN
    CASE
      WHEN NOT (fast_id BETWEEN 1000.0 AND 9999.0) THEN 'out of range: id'
      WHEN NOT (fast_age BETWEEN 18.0 AND 80.0) THEN 'out of range: idade'
      WHEN NOT (fast_valor BETWEEN 50.0 AND 2000.0) THEN 'out of range: valor'
      ELSE CAST(NULL AS STRING) END
  ELSE CASE
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
  END END AS reason
FROM fields;

-- Valid records and tombstones of ids in range, each with its id's generation: the
-- number of the id's tombstones read before it (the ids' order is their partition's).
CREATE TEMPORARY VIEW generations AS
SELECT id, city, age, cents, is_tombstone,
  SUM(CASE WHEN is_tombstone THEN 1 ELSE 0 END) OVER (
    PARTITION BY id ORDER BY proc ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS gen
FROM judged
WHERE (is_tombstone OR reason IS NULL) AND id BETWEEN 1000 AND 9999;

-- The current generation of each id that has had tombstones: how many.
CREATE TEMPORARY VIEW current_generation AS
SELECT id, COUNT(*) AS gen FROM judged
WHERE is_tombstone AND id BETWEEN 1000 AND 9999 GROUP BY id;

-- Per id, generation, city and age: the records and their cents, kept for the join
-- below, which emits nothing until one of the id's tombstones comes.
CREATE TEMPORARY VIEW generation_cells AS
SELECT id, gen, city, age, COUNT(*) AS n, SUM(cents) AS cents
FROM generations WHERE NOT is_tombstone GROUP BY id, gen, city, age;

-- What tombstones took out: each id's records of the generations before its current.
CREATE TEMPORARY VIEW removed_cells AS
SELECT c.city, c.age, c.n, c.cents
FROM generation_cells AS c JOIN current_generation AS g ON c.id = g.id AND c.gen < g.gen;

EXECUTE STATEMENT SET
BEGIN

-- Every valid record counted as it comes, less what tombstones took out.
INSERT INTO aggregates
SELECT 'cell', CONCAT(city, '|', CAST(age AS STRING)), SUM(n), SUM(cents),
  CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)
FROM (
  SELECT city, age, CAST(1 AS BIGINT) AS n, cents FROM judged
  WHERE reason IS NULL AND NOT is_tombstone
  UNION ALL
  SELECT city, age, -n, -cents FROM removed_cells)
GROUP BY city, age;

INSERT INTO aggregates_counts
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

END;
