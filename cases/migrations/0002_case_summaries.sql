-- 0002: per-case counts kept up to date by the writes, so the case list never scans
-- the turns table. Derived data: CaseStore.rebuild_case_summaries() recomputes it from
-- the base tables (after a bulk load or a restore), and it is not part of the audit.
-- At 100k cases / 2M turns, aggregating turns on every list query takes about 230 ms on
-- the 2-core dev machine; reading this table keeps a page well under 50 ms (measured by
-- `python bench/bench_case_list.py --alternatives`, see docs/benchmarks.md).

CREATE TABLE case_summaries (
    case_id             VARCHAR PRIMARY KEY,
    created_at          TIMESTAMP NOT NULL,   -- copy of cases.created_at, for sorting
    image_count         INTEGER NOT NULL,
    modality            VARCHAR,
    view_position       VARCHAR,
    calibration_source  VARCHAR,
    warning_count       INTEGER NOT NULL,
    conversation_count  INTEGER NOT NULL,
    turn_count          BIGINT NOT NULL,
    last_turn_at        TIMESTAMP,
    backends            VARCHAR[] NOT NULL,   -- engine backends of the case's conversations
    verdicts            VARCHAR[] NOT NULL    -- reviewer verdicts given on the case
);

INSERT INTO case_summaries
WITH first_images AS (
    SELECT case_id, count(*) AS image_count,
           arg_min(modality, imported_at) AS modality,
           arg_min(view_position, imported_at) AS view_position,
           arg_min(calibration_source, imported_at) AS calibration_source,
           sum(warning_count) AS warning_count
    FROM images GROUP BY case_id
), turn_totals AS (
    SELECT conversation_id, count(*) AS turns, max(created_at) AS last_turn_at
    FROM turns GROUP BY conversation_id
), activity AS (
    SELECT cv.case_id, count(*) AS conversation_count,
           coalesce(sum(tt.turns), 0) AS turn_count, max(tt.last_turn_at) AS last_turn_at,
           list(DISTINCT cv.backend ORDER BY cv.backend) AS backends
    FROM conversations cv LEFT JOIN turn_totals tt USING (conversation_id)
    GROUP BY cv.case_id
), reviews AS (
    SELECT case_id, list(DISTINCT verdict ORDER BY verdict) AS verdicts
    FROM annotations WHERE verdict IS NOT NULL GROUP BY case_id
)
SELECT c.case_id, c.created_at, coalesce(i.image_count, 0), i.modality, i.view_position,
       i.calibration_source, coalesce(i.warning_count, 0), coalesce(a.conversation_count, 0),
       coalesce(a.turn_count, 0), a.last_turn_at,
       coalesce(a.backends, []::VARCHAR[]), coalesce(r.verdicts, []::VARCHAR[])
FROM cases c
LEFT JOIN first_images i USING (case_id)
LEFT JOIN activity a USING (case_id)
LEFT JOIN reviews r USING (case_id)
ORDER BY c.created_at;
