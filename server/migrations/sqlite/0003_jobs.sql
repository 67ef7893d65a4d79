-- Training jobs (one queued or running per project), automatic training, version records.
CREATE TABLE jobs (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id), status TEXT NOT NULL,
  trigger TEXT NOT NULL, requested_by TEXT, config TEXT NOT NULL, label_count BIGINT NOT NULL,
  progress TEXT, error TEXT, result TEXT, cancel_requested BIGINT NOT NULL DEFAULT 0,
  attempts BIGINT NOT NULL DEFAULT 0, created_at BIGINT NOT NULL, started_at BIGINT,
  finished_at BIGINT);
CREATE UNIQUE INDEX jobs_one_active ON jobs (project_id) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_by_project ON jobs (project_id, created_at);
ALTER TABLE projects ADD COLUMN auto_train_every BIGINT NOT NULL DEFAULT 0;
ALTER TABLE model_versions ADD COLUMN info TEXT;
