-- 0004: one de-identification report per image: which header attributes were removed,
-- replaced, emptied or stripped of free text (names only, never values) and which pixel
-- boxes were blanked because they held burned-in text. Written in the import
-- transaction and covered by the audit chain (entity type 'deid_report'). Images
-- imported before this migration have no report.
CREATE TABLE deid_reports (
    image_id              VARCHAR PRIMARY KEY REFERENCES images (image_id),
    method                VARCHAR NOT NULL,
    removed               JSON NOT NULL,     -- list of attribute names
    replaced              JSON NOT NULL,
    emptied               JSON NOT NULL,
    dropped_values        JSON NOT NULL,
    burned_in_annotation  BOOLEAN,           -- (0028,0301) as the file gave it
    pixel_policy          VARCHAR NOT NULL CHECK (pixel_policy IN ('off', 'auto', 'always')),
    pixels_searched       BOOLEAN NOT NULL,
    detector              VARCHAR,
    blanked_boxes         JSON NOT NULL,     -- list of {x0, y0, x1, y1, fill}
    created_at            TIMESTAMP NOT NULL
);
