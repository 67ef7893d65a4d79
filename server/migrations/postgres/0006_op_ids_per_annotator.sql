-- Op ids are unique per annotator, not per project: another member cannot make someone's ops
-- come back "duplicate" by pushing their ids first.
ALTER TABLE label_events DROP CONSTRAINT label_events_project_id_op_id_key;
ALTER TABLE label_events ADD CONSTRAINT label_events_annotator_op_id_key
  UNIQUE (project_id, annotator_id, op_id);
-- Clocks stored before walls were bounded: a wall beyond 2^53 - 1 (or a u64 stored as a
-- negative number) breaks every pull in the browser; such labels get the time of this migration.
UPDATE labels SET hlc_wall = (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT, hlc_counter = 0
  WHERE hlc_wall < 0 OR hlc_wall > 9007199254740991 OR hlc_counter < 0 OR hlc_counter > 1048576;
UPDATE label_events SET hlc_wall = (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT, hlc_counter = 0
  WHERE hlc_wall < 0 OR hlc_wall > 9007199254740991 OR hlc_counter < 0 OR hlc_counter > 1048576;
