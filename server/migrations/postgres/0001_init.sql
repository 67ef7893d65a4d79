-- Kindling server schema (PostgreSQL). Keep in step with ../sqlite/0001_init.sql.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL);
CREATE TABLE tokens (
  hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
  expires_at BIGINT, created_at BIGINT NOT NULL);
CREATE TABLE projects (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, task TEXT NOT NULL, labels TEXT NOT NULL,
  change_seq BIGINT NOT NULL DEFAULT 0, created_at BIGINT NOT NULL);
CREATE TABLE members (
  project_id TEXT NOT NULL REFERENCES projects(id), user_id TEXT NOT NULL REFERENCES users(id),
  role TEXT NOT NULL, PRIMARY KEY (project_id, user_id));
CREATE TABLE items (
  project_id TEXT NOT NULL REFERENCES projects(id), id TEXT NOT NULL, kind TEXT NOT NULL,
  content BYTEA NOT NULL, content_type TEXT NOT NULL, sha256 TEXT NOT NULL,
  true_label TEXT, seq BIGSERIAL PRIMARY KEY, created_at BIGINT NOT NULL,
  UNIQUE (project_id, id));
CREATE TABLE labels (
  project_id TEXT NOT NULL, item_id TEXT NOT NULL, annotator_id TEXT NOT NULL,
  value TEXT, deleted BIGINT NOT NULL, hlc_wall BIGINT NOT NULL, hlc_counter BIGINT NOT NULL,
  client_id TEXT NOT NULL, op_id TEXT NOT NULL, version BIGINT NOT NULL,
  PRIMARY KEY (project_id, item_id, annotator_id));
CREATE INDEX labels_by_version ON labels (project_id, version);
CREATE TABLE label_events (
  id BIGSERIAL PRIMARY KEY, project_id TEXT NOT NULL, item_id TEXT NOT NULL,
  annotator_id TEXT NOT NULL, client_id TEXT NOT NULL, op_id TEXT NOT NULL, kind TEXT NOT NULL,
  value TEXT, hlc_wall BIGINT NOT NULL, hlc_counter BIGINT NOT NULL, outcome TEXT NOT NULL,
  reason TEXT, version BIGINT, received_at BIGINT NOT NULL, UNIQUE (project_id, op_id));
CREATE TABLE sync_clients (
  project_id TEXT NOT NULL, client_id TEXT NOT NULL, annotator_id TEXT NOT NULL,
  last_seq BIGINT NOT NULL, PRIMARY KEY (project_id, client_id));
CREATE TABLE push_outcomes (
  project_id TEXT NOT NULL, client_id TEXT NOT NULL, seq BIGINT NOT NULL, result TEXT NOT NULL,
  PRIMARY KEY (project_id, client_id, seq));
CREATE TABLE model_versions (
  project_id TEXT NOT NULL REFERENCES projects(id), version TEXT NOT NULL, manifest TEXT NOT NULL,
  weights BYTEA NOT NULL, sha256 TEXT NOT NULL, size BIGINT NOT NULL, is_current BIGINT NOT NULL,
  created_at BIGINT NOT NULL, PRIMARY KEY (project_id, version));
