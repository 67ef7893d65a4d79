-- "Label N% of items twice": overlap items are leased to a second annotator after the first
-- labeled them, so agreement can be measured. Which items: `(seq * 37) % 100 < overlap_percent`
-- (37 is coprime to 100: exactly N of every 100 consecutive uploads, spread out).
ALTER TABLE projects ADD COLUMN overlap_percent BIGINT NOT NULL DEFAULT 0;
