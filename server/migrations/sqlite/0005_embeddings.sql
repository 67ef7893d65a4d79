-- Embeddings of item contents by a backbone file, computed once: a training job embeds only the
-- labeled items it has not seen (keyed by content, so a replaced item is embedded again).
CREATE TABLE embeddings (
  backbone_sha256 TEXT NOT NULL, content_sha256 TEXT NOT NULL, vector BLOB NOT NULL,
  created_at BIGINT NOT NULL, PRIMARY KEY (backbone_sha256, content_sha256));
