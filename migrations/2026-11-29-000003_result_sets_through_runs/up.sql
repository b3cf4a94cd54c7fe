-- A result set reaches its batch through its run: deleting a batch deletes its runs
-- (the foreign key of batch_runs), and deleting a run deletes its result set (the key
-- below). The direct key from result_sets to batches cascaded as well, but PostgreSQL
-- fires a foreign key's trigger for every deleted batch, whether it has result sets or
-- not: one more lookup per deleted batch on the hot path of DeleteBatches. The
-- composite key keeps batch_id honest (it must be the batch of the set's run) and
-- fires only where a run is deleted.
ALTER TABLE batch_runs ADD CONSTRAINT batch_runs_id_batch_id_key UNIQUE (id, batch_id);
ALTER TABLE result_sets
    DROP CONSTRAINT result_sets_batch_id_fkey,
    DROP CONSTRAINT result_sets_run_id_fkey,
    ADD CONSTRAINT result_sets_run_id_batch_id_fkey FOREIGN KEY (run_id, batch_id)
        REFERENCES batch_runs (id, batch_id) ON DELETE CASCADE;

-- UNIQUE (batch_id, number) already indexes these columns; every insert paid twice.
DROP INDEX result_sets_batch_idx;
