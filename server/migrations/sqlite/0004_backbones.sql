-- Shared backbone files of format-2 bundles, content-addressed: stored once, whatever number of
-- model versions (heads) of whatever projects use them.
CREATE TABLE backbone_files (
  sha256 TEXT PRIMARY KEY, dtype TEXT NOT NULL, size BIGINT NOT NULL, bytes BLOB NOT NULL,
  created_at BIGINT NOT NULL);
