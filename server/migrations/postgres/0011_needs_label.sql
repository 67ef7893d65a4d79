-- Which items still need a label, kept by the server as labels arrive, so a lease and its
-- count of available items read only those (a scan over every labeled item took most of a
-- lease's time in a large project). An item needs a label while it has fewer current labels
-- than it needs (2 for an overlap item, else 1), and a gold item always does (every annotator
-- labels it). Recomputed for an item when its labels or gold answer change, and for the whole
-- project when its overlap percent changes (`store::items::refresh_needs_label`).
ALTER TABLE items ADD COLUMN needs_label BIGINT NOT NULL DEFAULT 1;
UPDATE items SET needs_label = CASE WHEN gold IS NOT NULL
    OR (SELECT COUNT(*) FROM labels l WHERE l.project_id = items.project_id AND l.item_id = items.id AND l.deleted = 0)
       < CASE WHEN (seq * 37) % 100 < (SELECT p.overlap_percent FROM projects p WHERE p.id = items.project_id) THEN 2 ELSE 1 END
  THEN 1 ELSE 0 END;
CREATE INDEX items_needing_label ON items (project_id, seq) WHERE needs_label = 1;
-- A person's own labels (the count of what is available to them).
CREATE INDEX labels_by_annotator ON labels (project_id, annotator_id);
-- A lease ends when its holder labels the item (the sync push deletes it from now on).
DELETE FROM leases WHERE EXISTS (SELECT 1 FROM labels l WHERE l.project_id = leases.project_id
  AND l.item_id = leases.item_id AND l.annotator_id = leases.user_id AND l.deleted = 0);
