-- Reviews write an annotator's label key, so an op's sender (its author) is no longer always
-- the key's annotator: events record who sent them, and op ids are unique per author (a
-- reviewer's op id can never collide with the annotator's). SQLite cannot drop an inline
-- UNIQUE constraint, so the table is rebuilt with the same rows.
CREATE TABLE label_events_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT, project_id TEXT NOT NULL, item_id TEXT NOT NULL,
  annotator_id TEXT NOT NULL, author_id TEXT NOT NULL, client_id TEXT NOT NULL,
  op_id TEXT NOT NULL, kind TEXT NOT NULL, value TEXT, hlc_wall BIGINT NOT NULL,
  hlc_counter BIGINT NOT NULL, outcome TEXT NOT NULL, reason TEXT, version BIGINT,
  received_at BIGINT NOT NULL,
  UNIQUE (project_id, author_id, op_id));
INSERT INTO label_events_new (id, project_id, item_id, annotator_id, author_id, client_id, op_id,
  kind, value, hlc_wall, hlc_counter, outcome, reason, version, received_at)
  SELECT id, project_id, item_id, annotator_id, annotator_id, client_id, op_id, kind, value,
  hlc_wall, hlc_counter, outcome, reason, version, received_at FROM label_events;
DROP TABLE label_events;
ALTER TABLE label_events_new RENAME TO label_events;
CREATE INDEX label_events_by_item ON label_events (project_id, item_id);
