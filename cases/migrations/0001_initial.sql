-- 0001: the case database. DuckDB holds metadata only; pixels, de-identified headers and
-- cached analyses are files in the content-addressed store beside the database.
-- Turns, anchors, anchor events, measurements and sign matches are written once and never
-- updated (corrections are new rows); audit_log is append-only and hash-chained.
-- DuckDB has no IDENTITY/SERIAL columns: ids come from sequences.

CREATE TABLE schema_version (
    version     INTEGER PRIMARY KEY,
    name        VARCHAR NOT NULL,
    applied_at  TIMESTAMP NOT NULL
);

CREATE SEQUENCE case_number_seq START 1;
CREATE SEQUENCE conversation_id_seq START 1;
CREATE SEQUENCE annotation_id_seq START 1;

CREATE TABLE cases (
    case_id     VARCHAR PRIMARY KEY,          -- 'C' + zero-padded case_number_seq
    study_uid   VARCHAR UNIQUE,               -- remapped Study Instance UID; NULL for PNG/JPEG
    created_at  TIMESTAMP NOT NULL,           -- UTC
    created_by  VARCHAR NOT NULL
);

CREATE TABLE images (
    image_id                    VARCHAR PRIMARY KEY,   -- sha256 of dtype, shape and pixel bytes
    case_id                     VARCHAR NOT NULL REFERENCES cases (case_id),
    source_format               VARCHAR NOT NULL,      -- dicom | png | jpeg
    store_path                  VARCHAR NOT NULL,
    header_path                 VARCHAR,
    "rows"                      INTEGER NOT NULL,
    "columns"                   INTEGER NOT NULL,
    dtype                       VARCHAR NOT NULL,
    row_spacing_mm              DOUBLE,
    col_spacing_mm              DOUBLE,
    calibration_source          VARCHAR NOT NULL
        CHECK (calibration_source IN ('PixelSpacing', 'ImagerPixelSpacing',
               'ImagerPixelSpacing+ERMF', 'user', 'estimated', 'none')),
    photometric_interpretation  VARCHAR NOT NULL,
    bits_stored                 INTEGER NOT NULL,
    pixel_representation        INTEGER NOT NULL,
    modality_lut                VARCHAR NOT NULL,
    rescale_slope               DOUBLE NOT NULL,
    rescale_intercept           DOUBLE NOT NULL,
    voi                         VARCHAR NOT NULL,
    window_center               DOUBLE,
    window_width                DOUBLE,
    voi_lut_function            VARCHAR,
    invert                      BOOLEAN NOT NULL,
    modality                    VARCHAR,
    sop_class_uid               VARCHAR,
    study_uid                   VARCHAR,
    series_uid                  VARCHAR,
    sop_instance_uid            VARCHAR,
    transfer_syntax_uid         VARCHAR,
    lossy_compression           BOOLEAN NOT NULL,
    view_position               VARCHAR,
    body_part                   VARCHAR,
    burned_in_annotation        BOOLEAN,
    deid_method                 VARCHAR NOT NULL,
    issues                      JSON NOT NULL,         -- list of ImportIssue objects
    warning_count               INTEGER NOT NULL,
    imported_at                 TIMESTAMP NOT NULL,
    imported_by                 VARCHAR NOT NULL
);
CREATE INDEX images_case_idx ON images (case_id);

CREATE TABLE conversations (
    conversation_id  BIGINT PRIMARY KEY,
    case_id          VARCHAR NOT NULL REFERENCES cases (case_id),
    image_id         VARCHAR NOT NULL REFERENCES images (image_id),
    backend          VARCHAR NOT NULL,
    model_id         VARCHAR NOT NULL,
    model_version    VARCHAR NOT NULL,
    parameters       JSON NOT NULL,
    title            VARCHAR,
    created_by       VARCHAR NOT NULL,
    created_at       TIMESTAMP NOT NULL
);
CREATE INDEX conversations_case_idx ON conversations (case_id);

CREATE TABLE turns (
    conversation_id  BIGINT NOT NULL REFERENCES conversations (conversation_id),
    turn_index       INTEGER NOT NULL CHECK (turn_index >= 0),
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
    reason               VARCHAR,
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
    turn_index       INTEGER,
    anchor_id        VARCHAR,
    created_at       TIMESTAMP NOT NULL
);
CREATE INDEX annotations_case_idx ON annotations (case_id);

-- Cached engine analyses: the payload is a file in the store, keyed by its own sha256.
CREATE TABLE analyses (
    image_id         VARCHAR NOT NULL,
    engine_version   VARCHAR NOT NULL,
    payload_sha256   VARCHAR NOT NULL,
    store_path       VARCHAR NOT NULL,
    size_bytes       BIGINT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (image_id, engine_version)
);

CREATE TABLE audit_log (
    seq             BIGINT PRIMARY KEY,
    recorded_at     TIMESTAMP NOT NULL,
    actor           VARCHAR NOT NULL,
    action          VARCHAR NOT NULL,
    entity_type     VARCHAR NOT NULL,
    entity_id       VARCHAR NOT NULL,
    payload_sha256  VARCHAR NOT NULL,
    prev_hash       VARCHAR NOT NULL,
    hash            VARCHAR NOT NULL,
    payload         JSON NOT NULL
);
