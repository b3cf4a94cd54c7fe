//! Response shapes, compared with SerpWow's documented examples.

use super::*;
use batch_proto::v1::{BatchState, Notification, Priority, Schedule, ScheduleType};
use serde_json::json;

fn at(seconds: i64, nanos: i32) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos })
}

/// The seed's idle batch 123456, as the service would send it.
fn seed_batch() -> Batch {
    let mut schedule = Schedule {
        hours: vec![9, 17],
        ..Schedule::default()
    };
    schedule.set_type(ScheduleType::Daily);
    let mut batch = Batch {
        id: 123_456,
        name: "My First Batch".to_owned(),
        create_time: at(1_577_836_800, 0),
        enabled: true,
        schedule: Some(schedule),
        notification: Some(Notification {
            email: "john.smith@example.com".to_owned(),
            as_csv: true,
            ..Notification::default()
        }),
        item_count: 2,
        ..Batch::default()
    };
    batch.set_state(BatchState::New);
    batch.set_priority(Priority::Normal);
    batch
}

#[test]
fn batch_matches_the_get_batch_example() {
    let shown = serde_json::to_value(BatchResponse::new(seed_batch())).unwrap();
    assert_eq!(
        shown,
        json!({
            "request_info": {"success": true},
            "batch": {
                "id": "123456",
                "created_at": "2020-01-01T00:00:00.000Z",
                "name": "My First Batch",
                "schedule_type": "daily",
                "priority": "normal",
                "destination_ids": [],
                "enabled": true,
                "status": "idle",
                "searches_total_count": 2,
                "searches_page_count": 1,
                "credits_required": 2,
                "next_result_set_id": 1,
                "results_count": 0,
                "schedule_hours": [9, 17],
                "notification_email": "john.smith@example.com",
                "notification_as_json": false,
                "notification_as_jsonlines": false,
                "notification_as_csv": true
            }
        })
    );
}

#[test]
fn states_counts_and_last_run() {
    let mut batch = seed_batch();
    batch.set_state(BatchState::Running);
    batch.item_count = 2001;
    batch.results_count = 3;
    batch.last_start_time = at(1_598_918_400, 123_456_789);
    let shown = BatchJson::from(batch);
    assert_eq!(shown.status, Some(Status::Running));
    assert_eq!(shown.searches_page_count, 3);
    assert_eq!(shown.next_result_set_id, 4);
    assert_eq!(shown.last_run.as_deref(), Some("2020-09-01T00:00:00.123Z"));

    let mut batch = seed_batch();
    batch.set_state(BatchState::Unspecified);
    batch.schedule = None;
    batch.notification = None;
    batch.create_time = None;
    let shown = serde_json::to_value(BatchJson::from(batch)).unwrap();
    for absent in [
        "status",
        "created_at",
        "last_run",
        "schedule_hours",
        "notification_email",
    ] {
        assert!(shown.get(absent).is_none(), "{absent} should be left out");
    }
    assert_eq!(shown["schedule_type"], "manual");
}

#[test]
fn the_delete_confirmation_is_the_seed_verbatim() {
    let body = serde_json::to_string(&Message::ok("batch deleted")).unwrap();
    assert_eq!(
        body,
        r#"{"request_info":{"success":true,"message":"batch deleted"}}"#
    );
}

#[test]
fn list_paging_fields() {
    let list = BatchList::new(vec![seed_batch()], 51, 3, 25);
    let shown = serde_json::to_value(list).unwrap();
    assert_eq!(shown["total_count"], 51);
    assert_eq!(shown["total_pages"], 3);
    assert_eq!(shown["current_page"], 3);
    assert_eq!(shown["count_this_page"], 1);
    assert_eq!(shown["batches"][0]["id"], "123456");
}

#[test]
fn stop_all_matches_the_example() {
    assert_eq!(
        serde_json::to_value(StopAllResponse::new(23)).unwrap(),
        json!({"request_info": {"success": true, "message": "23 Batches stopped"},
            "batches_stopped": 23, "batches_failed_to_stop": 0})
    );
}

#[test]
fn searches_flatten_their_parameters() {
    let Value::Object(parameters) = json!({
        "q": "mcdonalds", "location": "United States", "search_type": "images", "id": "spoof"
    }) else {
        unreachable!()
    };
    let item = BatchItem {
        id: 7,
        batch_id: 123_456,
        custom_id: "MyCustomID_001".to_owned(),
        parameters: Some(values::to_struct(parameters)),
        create_time: None,
    };
    let page = SearchPage::new("123456".to_owned(), 1, 1, vec![item]);
    assert_eq!(
        serde_json::to_value(page).unwrap(),
        json!({
            "request_info": {"success": true},
            "batch_id": "123456",
            "searches_page_current": 1,
            "searches_page_count": 1,
            "searches": [{"q": "mcdonalds", "location": "United States", "search_type": "images",
                "custom_id": "MyCustomID_001", "id": "7"}]
        })
    );
}

#[test]
fn timestamps_have_milliseconds_and_z() {
    let ts = Timestamp {
        seconds: 0,
        nanos: 0,
    };
    assert_eq!(timestamp(&ts).as_deref(), Some("1970-01-01T00:00:00.000Z"));
    let bad = Timestamp {
        seconds: 0,
        nanos: -1,
    };
    assert_eq!(timestamp(&bad), None);
}
