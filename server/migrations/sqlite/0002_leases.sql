-- Leases: items handed to one person's browser ahead of time so they can label offline.
-- Soft: a lease keeps an item out of others' next batches; it never blocks a label.
CREATE TABLE leases (
  project_id TEXT NOT NULL, item_id TEXT NOT NULL, user_id TEXT NOT NULL,
  expires_at BIGINT NOT NULL, PRIMARY KEY (project_id, item_id));
CREATE INDEX leases_by_user ON leases (project_id, user_id);
