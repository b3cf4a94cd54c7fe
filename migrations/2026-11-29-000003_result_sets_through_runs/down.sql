CREATE INDEX result_sets_batch_idx ON result_sets (batch_id, number);
ALTER TABLE result_sets
    DROP CONSTRAINT result_sets_run_id_batch_id_fkey,
    ADD CONSTRAINT result_sets_run_id_fkey FOREIGN KEY (run_id)
        REFERENCES batch_runs (id) ON DELETE CASCADE,
    ADD CONSTRAINT result_sets_batch_id_fkey FOREIGN KEY (batch_id)
        REFERENCES batches (id) ON DELETE CASCADE;
ALTER TABLE batch_runs DROP CONSTRAINT batch_runs_id_batch_id_key;
