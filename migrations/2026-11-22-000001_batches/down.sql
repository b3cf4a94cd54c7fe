DROP TABLE batch_deletions;
DROP TABLE batch_runs;
DROP TABLE batch_items;
DROP TABLE batches;
DROP TABLE application_tokens;
DROP TABLE credentials;
DROP TABLE tenants;
