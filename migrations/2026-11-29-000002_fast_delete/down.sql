ALTER TABLE batch_deletions ALTER COLUMN batch_ids SET STORAGE EXTENDED;
DROP FUNCTION batch_delete_refused();
