-- 0005: one turn numbering. Turns count from 1 everywhere, as the reader sees "turn 1";
-- before this migration the store kept them from 0 and every caller converted. Every
-- stored turn number moves up by one. DuckDB cannot update key columns that a foreign
-- key references, so the turn tables are copied, dropped and rebuilt in dependency order.
--
-- The audit records written before this migration keep their 0-based turn numbers (the
-- chain is append-only); audit_numbering remembers where they end so that
-- `casebook audit verify` compares them with the stored rows in the old numbering.

CREATE TABLE audit_numbering (
    version      INTEGER PRIMARY KEY,
    last_seq     BIGINT NOT NULL,   -- audit records up to this seq number turns from 0
    first_turn   INTEGER NOT NULL
);
INSERT INTO audit_numbering SELECT 5, coalesce(max(seq), 0), 0 FROM audit_log;

CREATE TEMP TABLE old_turns AS SELECT * FROM turns;
CREATE TEMP TABLE old_anchors AS SELECT * FROM anchors;
CREATE TEMP TABLE old_events AS SELECT * FROM turn_anchor_events;
CREATE TEMP TABLE old_measurements AS SELECT * FROM measurements;
CREATE TEMP TABLE old_signs AS SELECT * FROM sign_matches;
CREATE TEMP TABLE old_annotations AS SELECT * FROM annotations;

DROP TABLE annotations;
DROP TABLE sign_matches;
DROP TABLE measurements;
DROP TABLE turn_anchor_events;
DROP TABLE anchors;
DROP TABLE turns;

CREATE TABLE turns (
    conversation_id  BIGINT NOT NULL REFERENCES conversations (conversation_id),
    turn_index       INTEGER NOT NULL CHECK (turn_index >= 1),
    question         VARCHAR NOT NULL,
    language         VARCHAR NOT NULL,
    intent           VARCHAR NOT NULL,
    answer_text      VARCHAR NOT NULL,
    answer_json      JSON NOT NULL,
    raw_output       VARCHAR,
    latency_ms       DOUBLE NOT NULL,
    actor            VARCHAR NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (conversation_id, turn_index)
);

-- One row per anchor version: a refinement of A3 in turn 2 is a new row (A3, turn 2).
-- Every field is a typed column and is what is read back; geometry holds only geometry
-- and attributes only the display marks beside it (notch clock positions, spicule tips).
-- style is NULL for anchors written before 0003, which kept no overlay description.
CREATE TABLE anchors (
    conversation_id  BIGINT NOT NULL,
    anchor_id        VARCHAR NOT NULL,
    turn_index       INTEGER NOT NULL,
    status           VARCHAR NOT NULL CHECK (status IN ('created', 'refined')),
    kind             VARCHAR NOT NULL,
    label            VARCHAR NOT NULL,
    geometry         JSON NOT NULL,
    location         VARCHAR,
    side             VARCHAR,
    zone             VARCHAR,
    band             VARCHAR,
    parent_ids       VARCHAR[] NOT NULL,
    confidence       DOUBLE,
    label_zh         VARCHAR,
    style            VARCHAR,
    region           VARCHAR,
    lobe             VARCHAR,
    finding_id       VARCHAR,
    size_mm          DOUBLE[],
    attributes       JSON NOT NULL,
    PRIMARY KEY (conversation_id, anchor_id, turn_index),
    FOREIGN KEY (conversation_id, turn_index) REFERENCES turns (conversation_id, turn_index)
);

-- What each turn did with each anchor, including references to older anchors.
CREATE TABLE turn_anchor_events (
    conversation_id  BIGINT NOT NULL,
    turn_index       INTEGER NOT NULL,
    anchor_id        VARCHAR NOT NULL,
    status           VARCHAR NOT NULL CHECK (status IN ('created', 'refined', 'referenced')),
    PRIMARY KEY (conversation_id, turn_index, anchor_id),
    FOREIGN KEY (conversation_id, turn_index) REFERENCES turns (conversation_id, turn_index)
);

CREATE TABLE measurements (
    conversation_id    BIGINT NOT NULL,
    turn_index         INTEGER NOT NULL,
    measurement_index  INTEGER NOT NULL,
    kind               VARCHAR NOT NULL,
    from_anchor        VARCHAR,
    to_anchor          VARCHAR,
    value_mm           DOUBLE,
    value_px           DOUBLE,
    calibration_source VARCHAR NOT NULL,
    detail             JSON NOT NULL,
    PRIMARY KEY (conversation_id, turn_index, measurement_index),
    FOREIGN KEY (conversation_id, turn_index) REFERENCES turns (conversation_id, turn_index)
);

CREATE TABLE sign_matches (
    conversation_id      BIGINT NOT NULL,
    turn_index           INTEGER NOT NULL,
    item_index           INTEGER NOT NULL,
    profile_id           VARCHAR NOT NULL,
    profile_version      VARCHAR NOT NULL,
    sign_code            VARCHAR NOT NULL,
    status               VARCHAR NOT NULL CHECK (status IN ('met', 'not_met', 'not_assessable')),
    evidence_anchor_ids  VARCHAR[] NOT NULL,
    reason               VARCHAR,          -- English
    name_en              VARCHAR,          -- the sign's name as the answer gave it
    name_zh              VARCHAR,
    item_group           VARCHAR,          -- core, supporting, ...
    reason_zh            VARCHAR,
    profile_name_en      VARCHAR,          -- the profile's name as the answer gave it
    profile_name_zh      VARCHAR,
    PRIMARY KEY (conversation_id, turn_index, item_index),
    FOREIGN KEY (conversation_id, turn_index) REFERENCES turns (conversation_id, turn_index)
);

CREATE TABLE annotations (
    annotation_id    BIGINT PRIMARY KEY,
    case_id          VARCHAR NOT NULL REFERENCES cases (case_id),
    image_id         VARCHAR NOT NULL REFERENCES images (image_id),
    author           VARCHAR NOT NULL,
    geometry         JSON,
    label            VARCHAR NOT NULL,
    verdict          VARCHAR CHECK (verdict IN ('agree', 'disagree', 'uncertain')),
    note             VARCHAR,
    conversation_id  BIGINT,
    turn_index       INTEGER CHECK (turn_index >= 1),
    anchor_id        VARCHAR,
    created_at       TIMESTAMP NOT NULL
);
CREATE INDEX annotations_case_idx ON annotations (case_id);

-- The scorecard is stored once, as sign-match rows: the answer's copy moves into them
-- (names, group and reason in the answer's language). A turn without a scorecard keeps
-- its "scorecard": null.
INSERT INTO turns
SELECT * REPLACE (
    turn_index + 1 AS turn_index,
    CASE WHEN json_type(answer_json, '$.scorecard') = 'OBJECT'
         THEN json_merge_patch(answer_json, '{"scorecard": null}')
         ELSE answer_json END AS answer_json)
FROM old_turns;
-- The detail copy becomes columns. A box under 1 px wide or tall was kept widened to
-- 1 px in the geometry column and exact (rounded to 0.1 px) in detail: keep the exact one.
INSERT INTO anchors
SELECT conversation_id, anchor_id, turn_index + 1, status, kind, label,
       CASE WHEN detail->>'$.geometry.type' = 'box'
                 AND (CAST(detail->>'$.geometry.bbox[2]' AS DOUBLE)
                        - CAST(detail->>'$.geometry.bbox[0]' AS DOUBLE) < 1
                      OR CAST(detail->>'$.geometry.bbox[3]' AS DOUBLE)
                        - CAST(detail->>'$.geometry.bbox[1]' AS DOUBLE) < 1)
            THEN json_object('type', 'box',
                             'x0', detail->'$.geometry.bbox[0]',
                             'y0', detail->'$.geometry.bbox[1]',
                             'x1', detail->'$.geometry.bbox[2]',
                             'y1', detail->'$.geometry.bbox[3]')
            ELSE geometry END,
       location, side, zone, band, parent_ids, confidence,
       detail->>'$.label_zh', detail->>'$.style', detail->>'$.region',
       detail->>'$.lobe', detail->>'$.finding_id',
       CASE WHEN json_type(detail, '$.size_mm') = 'ARRAY'
            THEN CAST(detail->'$.size_mm' AS DOUBLE[]) END,
       CASE WHEN json_type(detail, '$.attributes') = 'OBJECT'
            THEN detail->'$.attributes' ELSE '{}' END
FROM old_anchors;
INSERT INTO turn_anchor_events SELECT * REPLACE (turn_index + 1 AS turn_index) FROM old_events;
INSERT INTO measurements SELECT * REPLACE (turn_index + 1 AS turn_index) FROM old_measurements;
INSERT INTO sign_matches
WITH answered AS (
    SELECT s.*, t.language,
           t.answer_json->>'$.scorecard.name' AS card_name,
           json_extract(t.answer_json, '$.scorecard.items[' || s.item_index || ']') AS item
    FROM old_signs AS s LEFT JOIN old_turns AS t USING (conversation_id, turn_index)
)
SELECT conversation_id, turn_index + 1, item_index, profile_id, profile_version,
       sign_code, status, evidence_anchor_ids, reason,
       CASE WHEN language <> 'zh' THEN item->>'$.name' END,
       CASE WHEN language = 'zh' THEN item->>'$.name' END,
       item->>'$.group',
       CASE WHEN language = 'zh' THEN item->>'$.reason' END,
       CASE WHEN language <> 'zh' THEN card_name END,
       CASE WHEN language = 'zh' THEN card_name END
FROM answered;
INSERT INTO annotations SELECT * REPLACE (turn_index + 1 AS turn_index) FROM old_annotations;

DROP TABLE old_turns;
DROP TABLE old_anchors;
DROP TABLE old_events;
DROP TABLE old_measurements;
DROP TABLE old_signs;
DROP TABLE old_annotations;
