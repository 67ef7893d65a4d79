-- Invitations: an owner names a user who is not a member; they become a member only when they
-- accept. Keyed by the name the owner typed, whether or not a user has it, so the owner's
-- answer never tells whether a name exists (no enumeration of user names).
CREATE TABLE invitations (
  project_id TEXT NOT NULL REFERENCES projects(id), user_name TEXT NOT NULL, role TEXT NOT NULL,
  invited_by TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (project_id, user_name));
CREATE INDEX invitations_by_name ON invitations (user_name);
