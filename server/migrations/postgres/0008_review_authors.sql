-- Reviews write an annotator's label key, so an op's sender (its author) is no longer always
-- the key's annotator: events record who sent them, and op ids are unique per author (a
-- reviewer's op id can never collide with the annotator's).
ALTER TABLE label_events ADD COLUMN author_id TEXT;
UPDATE label_events SET author_id = annotator_id;
ALTER TABLE label_events ALTER COLUMN author_id SET NOT NULL;
ALTER TABLE label_events DROP CONSTRAINT label_events_annotator_op_id_key;
ALTER TABLE label_events ADD CONSTRAINT label_events_author_op_id_key
  UNIQUE (project_id, author_id, op_id);
CREATE INDEX label_events_by_item ON label_events (project_id, item_id);
