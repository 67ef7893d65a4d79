-- Op ids are unique per annotator, not per project: another member cannot make someone's ops
-- come back "duplicate" by pushing their ids first. SQLite cannot drop an inline UNIQUE
-- constraint, so the table is rebuilt with the same columns and rows.
CREATE TABLE label_events_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT, project_id TEXT NOT NULL, item_id TEXT NOT NULL,
  annotator_id TEXT NOT NULL, client_id TEXT NOT NULL, op_id TEXT NOT NULL, kind TEXT NOT NULL,
  value TEXT, hlc_wall BIGINT NOT NULL, hlc_counter BIGINT NOT NULL, outcome TEXT NOT NULL,
  reason TEXT, version BIGINT, received_at BIGINT NOT NULL,
  UNIQUE (project_id, annotator_id, op_id));
INSERT INTO label_events_new (id, project_id, item_id, annotator_id, client_id, op_id, kind,
  value, hlc_wall, hlc_counter, outcome, reason, version, received_at)
  SELECT id, project_id, item_id, annotator_id, client_id, op_id, kind, value, hlc_wall,
  hlc_counter, outcome, reason, version, received_at FROM label_events;
DROP TABLE label_events;
ALTER TABLE label_events_new RENAME TO label_events;
-- Clocks stored before walls were bounded: a wall beyond 2^53 - 1 (or a u64 stored as a
-- negative number) breaks every pull in the browser; such labels get the time of this migration.
UPDATE labels SET hlc_wall = CAST(strftime('%s', 'now') AS INTEGER) * 1000, hlc_counter = 0
  WHERE hlc_wall < 0 OR hlc_wall > 9007199254740991 OR hlc_counter < 0 OR hlc_counter > 1048576;
UPDATE label_events SET hlc_wall = CAST(strftime('%s', 'now') AS INTEGER) * 1000, hlc_counter = 0
  WHERE hlc_wall < 0 OR hlc_wall > 9007199254740991 OR hlc_counter < 0 OR hlc_counter > 1048576;
