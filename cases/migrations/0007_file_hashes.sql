-- 0007: hashes of the files beside the database that no row recorded before, so that
-- `casebook audit verify` can tell an edited file from the original:
--   kind 'header': the SHA-256 of an image's de-identified DICOM header file, for images
--     imported before headers were stored under their own hash (newer header files are
--     named by their SHA-256, and that name is in the audited image row);
--   kind 'salt': a fingerprint of the de-identification salt, SHA-256 of a fixed
--     prefix and the salt (it reveals nothing about the salt), so a replaced salt, which
--     would silently change every remapped UID from then on, is caught.
-- Rows are written when a database is opened read-write and lacks them (trust on first
-- use: a file edited before this migration ran cannot be detected).
CREATE TABLE file_hashes (
    kind         VARCHAR NOT NULL CHECK (kind IN ('header', 'salt')),
    key          VARCHAR NOT NULL,      -- image id for 'header'; 'deid_salt' for 'salt'
    sha256       VARCHAR NOT NULL,
    recorded_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, key)
);
