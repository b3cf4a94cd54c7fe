//! The diesel view of the tables created by `migrations/`.

diesel::table! {
    tenants (id) {
        id -> Int8,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    credentials (id) {
        id -> Int8,
        tenant_id -> Int8,
        kind -> Text,
        label -> Text,
        secret_hash -> Bytea,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    application_tokens (id) {
        id -> Int8,
        tenant_id -> Int8,
        application -> Text,
        token_hash -> Bytea,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    batches (id) {
        id -> Int8,
        tenant_id -> Int8,
        name -> Text,
        description -> Text,
        state -> Text,
        owner_id -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        queued_at -> Nullable<Timestamptz>,
        last_started_at -> Nullable<Timestamptz>,
        start_count -> Int4,
        details_table -> Int4,
        details_record -> Int4,
        is_system_task -> Bool,
        is_internal_task -> Bool,
        parameters -> Jsonb,
        database_serial_number -> Text,
        context -> Text,
        result -> Text,
        request -> Text,
        response -> Text,
        progress_description -> Text,
        progress_percent -> Int4,
        enabled -> Bool,
        priority -> Int2,
        destination_ids -> Array<Text>,
        schedule -> Jsonb,
        notification -> Jsonb,
        items_type -> Text,
        item_count -> Int8,
        results_count -> Int4,
    }
}

diesel::table! {
    batch_items (id) {
        id -> Int8,
        batch_id -> Int8,
        custom_id -> Text,
        parameters -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    batch_runs (id) {
        id -> Int8,
        batch_id -> Int8,
        worker -> Text,
        started_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
        outcome -> Nullable<Text>,
        result -> Text,
    }
}

diesel::table! {
    batch_deletions (id) {
        id -> Int8,
        tenant_id -> Int8,
        credential_id -> Int8,
        door -> Text,
        batch_ids -> Array<Int8>,
        trace_id -> Text,
        deleted_at -> Timestamptz,
    }
}

diesel::table! {
    result_sets (id) {
        id -> Int8,
        batch_id -> Int8,
        run_id -> Int8,
        number -> Nullable<Int4>,
        outcome -> Nullable<Text>,
        started_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
        expires_at -> Nullable<Timestamptz>,
        searches_total -> Int8,
        searches_completed -> Int8,
        searches_failed -> Int8,
        webhook_status -> Text,
        webhook_url -> Text,
        webhook_attempts -> Int4,
        webhook_due_at -> Nullable<Timestamptz>,
        webhook_log -> Jsonb,
    }
}

diesel::table! {
    results (result_set_id, position) {
        result_set_id -> Int8,
        position -> Int8,
        item_id -> Int8,
        custom_id -> Text,
        succeeded -> Bool,
        document -> Jsonb,
    }
}

diesel::joinable!(credentials -> tenants (tenant_id));
diesel::joinable!(application_tokens -> tenants (tenant_id));
diesel::joinable!(batches -> tenants (tenant_id));
diesel::joinable!(batch_items -> batches (batch_id));
diesel::joinable!(batch_runs -> batches (batch_id));
diesel::joinable!(result_sets -> batches (batch_id));
diesel::joinable!(results -> result_sets (result_set_id));

diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    credentials,
    application_tokens,
    batches,
    batch_items,
    batch_runs,
    batch_deletions,
    result_sets,
    results,
);
