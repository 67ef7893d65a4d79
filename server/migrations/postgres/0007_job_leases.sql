-- Jobs are leased to the runner (a `kindling serve` or `kindling worker` process) that claimed
-- them: it renews `lease_until` while it runs; a job whose lease ran out (its runner died) is
-- queued again by any runner, and a live runner's job is never taken from it.
ALTER TABLE jobs ADD COLUMN runner TEXT;
ALTER TABLE jobs ADD COLUMN lease_until BIGINT;
