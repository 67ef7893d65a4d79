-- Gold items: an owner's known answer for an item. Every annotator is handed gold items (their
-- labels of them measure each annotator's accuracy, shown to owners), and training uses the
-- known answer.
ALTER TABLE items ADD COLUMN gold TEXT;
