-- 0006: what a reading room adds to a case and a conversation, kept beside the base
-- tables (no foreign keys, so another migration may rebuild cases, images or
-- conversations without tripping over these rows). Every write is audited.
--
-- case_labels: a reviewer's title, tags and review status of a case. A case without a
-- row is 'unreviewed' unless a reviewer verdict exists (then 'reviewed').
CREATE TABLE IF NOT EXISTS case_labels (
    case_id        VARCHAR PRIMARY KEY,
    title          VARCHAR,
    tags           VARCHAR[] NOT NULL,
    review_status  VARCHAR NOT NULL CHECK (review_status IN ('unreviewed', 'reviewed', 'teaching')),
    updated_by     VARCHAR NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);

-- image_sources: the base name of the file an image came from (searchable in the
-- worklist). The name only, never a folder; written by the upload and demo paths.
CREATE TABLE IF NOT EXISTS image_sources (
    image_id     VARCHAR PRIMARY KEY,
    case_id      VARCHAR NOT NULL,
    file_name    VARCHAR NOT NULL,
    recorded_at  TIMESTAMP NOT NULL
);
CREATE INDEX IF NOT EXISTS image_sources_case_idx ON image_sources (case_id);

-- conversation_marks: a conversation kept for teaching or QA is read-only for everyone;
-- asking on it opens a new conversation.
CREATE TABLE IF NOT EXISTS conversation_marks (
    conversation_id  BIGINT PRIMARY KEY,
    mark             VARCHAR NOT NULL CHECK (mark IN ('teaching', 'qa')),
    marked_by        VARCHAR NOT NULL,
    marked_at        TIMESTAMP NOT NULL
);
