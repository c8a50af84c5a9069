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
  'topic' = {{ aggregates_topic }},
  'properties.bootstrap.servers' = {{ brokers }},
  'properties.transaction.timeout.ms' = '900000',
  'key.format' = 'json',
  'value.format' = 'json',
  'value.fields-include' = 'ALL',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = {{ cells_transactional_id_prefix }}{{ sink_properties }}
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
  'topic' = {{ aggregates_topic }},
  'properties.bootstrap.servers' = {{ brokers }},
  'properties.transaction.timeout.ms' = '900000',
  'key.format' = 'json',
  'value.format' = 'json',
  'value.fields-include' = 'ALL',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = {{ counts_transactional_id_prefix }}{{ sink_properties }}
);

-- Each message as text, and whether it is spelled exactly as producers write a valid
-- record: the fast path, one regular expression and no JSON parse. `RAND() < 2` is
-- always true; being non-deterministic, it stops the planner from copying the views'
-- expressions into every expression that reads them, so each runs once a message.
CREATE TEMPORARY VIEW texts AS
SELECT part, off, ts, proc, msg_key, msg_value, txt, SPLIT(txt, '"') AS pieces,
  RAND() < 2 AND COALESCE(REGEXP(txt, {{ fast_pattern }}), FALSE) AS fast
FROM (SELECT *, DECODE(msg_value, 'UTF-8') AS txt FROM raw_messages);

-- Fast path: the id, age, city and amount from the fixed layout (the pieces between
-- the quotes).
-- Other messages: each field's JSON token (wrapped in [ ], NULL for JSON null) and its
-- text value, with NaN/Infinity (valid for Python's json, not for Flink's) spelled as
-- 1e999: an infinite number, which every check below judges as Python does.
CREATE TEMPORARY VIEW fields AS
SELECT part, off, ts, proc, msg_key, msg_value, txt, RAND() < 2 AND fast AS fast,
{{ fast_columns }},
  -- exactly one JSON value, as Python's json.loads wants (Flink's parser ignores what
  -- follows the first value: no text can close both wrappers early)
  CASE WHEN NOT fast THEN CONCAT('[', {{ doc }}, ']') IS JSON
    AND CONCAT('{"v":', {{ doc }}, '}') IS JSON END AS is_json,
  CASE WHEN NOT fast THEN {{ doc }} IS JSON OBJECT END AS is_object,
  CASE WHEN NOT fast THEN JSON_QUERY({{ doc }}, '$.keys()') END AS keys_json,
{{ field_columns }}
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
    WHEN ABS(TRY_CAST(valor_tok AS DOUBLE)) <= {{ max_value }}
    THEN CAST(ROUND(TRY_CAST(valor_tok AS DOUBLE) * 100, 0) AS BIGINT) END AS cents,
  msg_value IS NULL AND msg_key IS NOT NULL
    AND REGEXP(DECODE(msg_key, 'UTF-8'), '^[0-9]+\z') AS is_tombstone,
  CASE WHEN fast THEN
{{ fast_reason_cases }}
  ELSE CASE
{{ reason_cases }}
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
WHERE (is_tombstone OR reason IS NULL) AND id BETWEEN {{ id_low }} AND {{ id_high }};

-- The current generation of each id that has had tombstones: how many.
CREATE TEMPORARY VIEW current_generation AS
SELECT id, COUNT(*) AS gen FROM judged
WHERE is_tombstone AND id BETWEEN {{ id_low }} AND {{ id_high }} GROUP BY id;

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
