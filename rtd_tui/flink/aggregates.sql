-- rtd-tui aggregates job: exact running aggregates of a sales topic, for
-- `rtd-tui --source aggregates`. Plain Flink SQL for Flink 2.2; run it with
--   sql-client.sh -j flink-sql-connector-kafka-5.0.0-2.2.jar -f <this file>
-- (org.apache.flink:flink-sql-connector-kafka:5.0.0-2.2 on Maven Central).
-- Rendered by `rtd-tui aggregate --print-sql` for raw topic {{ topic_comment }}.
-- The validation below is rtd_tui/records.py's (same rules, same order, same reason
-- names); docs/flink-job.md lists the few inputs where Flink's JSON parser differs.

SET 'pipeline.name' = {{ pipeline_name }};
SET 'execution.runtime-mode' = 'streaming';
SET 'execution.checkpointing.interval' = {{ checkpoint_interval }};
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
  'topic' = {{ topic }},
  'properties.bootstrap.servers' = {{ brokers }},
  'properties.group.id' = {{ group_id }},
  'properties.isolation.level' = 'read_committed',
  'properties.commit.offsets.on.checkpoint' = 'true',
  'scan.startup.mode' = 'earliest-offset',
  'key.format' = 'raw',
  'key.fields' = 'msg_key',
  'value.format' = 'raw',
  'value.fields-include' = 'EXCEPT_KEY'{{ source_properties }}
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
  'topic' = {{ aggregates_topic }},
  'properties.bootstrap.servers' = {{ brokers }},
  'properties.transaction.timeout.ms' = '900000',
  'key.format' = 'json',
  'value.format' = 'json',
  'value.fields-include' = 'ALL',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = {{ transactional_id_prefix }}{{ sink_properties }}
);

-- Each message as text, with NaN/Infinity (valid for Python's json, not for Flink's)
-- spelled as 1e999: an infinite number, which every check below judges as Python does.
CREATE TEMPORARY VIEW texts AS
SELECT part, off, ts, proc, msg_key, msg_value,
  DECODE(msg_value, 'UTF-8') AS txt,
  CASE WHEN msg_value IS NULL THEN CAST(NULL AS STRING)
    WHEN NOT REGEXP(DECODE(msg_value, 'UTF-8'), 'NaN|Infinity') THEN DECODE(msg_value, 'UTF-8')
    ELSE REGEXP_REPLACE(REGEXP_REPLACE(DECODE(msg_value, 'UTF-8'),
      {{ negative_infinity_pattern }}, '-1e999'), {{ non_finite_pattern }}, '1e999')
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
{{ field_columns }}
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
    WHEN ABS(TRY_CAST(valor_tok AS DOUBLE)) <= {{ max_value }}
    THEN CAST(ROUND(TRY_CAST(valor_tok AS DOUBLE) * 100, 0) AS BIGINT) END AS cents,
  msg_value IS NULL AND msg_key IS NOT NULL
    AND REGEXP(DECODE(msg_key, 'UTF-8'), '^[0-9]+\z') AS is_tombstone,
  CASE
{{ reason_cases }}
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
WHERE (is_tombstone OR reason IS NULL) AND id BETWEEN {{ id_low }} AND {{ id_high }};

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
