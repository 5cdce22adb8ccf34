-- 0003: the engine's full description of each anchor (overlay style, both labels,
-- notch and spicule marks, measurement labels), so replay draws a turn exactly as it
-- was from the stored rows instead of recomputing anything. Part of the audited payload.
ALTER TABLE anchors ADD COLUMN detail JSON NOT NULL DEFAULT '{}';
