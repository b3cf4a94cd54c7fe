//! Settings and searches from JSON and form bodies.

use super::*;
use crate::coerce::form_fields;
use batch_proto::v1::{Priority, ScheduleType};
use serde_json::json;

fn fields(value: Value) -> Fields {
    let Value::Object(map) = value else {
        panic!("not an object")
    };
    map
}

#[test]
fn the_documented_form_create_becomes_a_batch() {
    // SerpWow's create example, as curl -d sends it.
    let form = form_fields(
        b"name=My+First+Batch&enabled=true&schedule_type=daily&priority=normal\
          &schedule_hours=9%2C17&destination_ids=ABCDEFG\
          &notification_email=john.smith%40example.com&notification_as_csv=true&source=nodejs",
    );
    let batch = BatchSettings::from_fields(&form)
        .unwrap()
        .into_new_batch()
        .unwrap();
    assert_eq!(batch.name, "My First Batch");
    assert!(batch.enabled);
    assert_eq!(batch.priority(), Priority::Normal);
    let schedule = batch.schedule.unwrap();
    assert_eq!(schedule.r#type(), ScheduleType::Daily);
    assert_eq!(schedule.hours, vec![9, 17]);
    assert_eq!(batch.destination_ids, vec!["ABCDEFG".to_owned()]);
    let notification = batch.notification.unwrap();
    assert_eq!(notification.email, "john.smith@example.com");
    assert!(notification.as_csv);
}

#[test]
fn json_and_form_read_the_same() {
    let from_json = BatchSettings::from_fields(&fields(json!({
        "name": "B", "schedule_hours": [9, 17], "enabled": false, "schedule_days_of_week": 1
    })))
    .unwrap();
    let from_form = BatchSettings::from_fields(&form_fields(
        b"name=B&schedule_hours=9&schedule_hours=17&enabled=0&schedule_days_of_week=1",
    ))
    .unwrap();
    assert_eq!(from_json, from_form);
    assert_eq!(from_json.schedule_days_of_week, Some(vec![1]));
}

#[test]
fn creating_needs_a_name_and_defaults_the_rest() {
    let err = BatchSettings::default().into_new_batch().unwrap_err();
    assert_eq!(err.to_string(), "name must be a non-empty text");
    let batch = BatchSettings {
        name: Some("x".to_owned()),
        ..BatchSettings::default()
    }
    .into_new_batch()
    .unwrap();
    assert!(batch.enabled);
    assert_eq!(batch.priority(), Priority::Normal);
}

#[test]
fn bad_values_name_their_field() {
    let err = BatchSettings::from_fields(&fields(json!({"schedule_type": "yearly"}))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "schedule_type must be manual, minutes, hourly, daily, weekly or monthly"
    );
    let err =
        BatchSettings::from_fields(&fields(json!({"schedule_days_of_week": "7"}))).unwrap_err();
    assert!(err.to_string().starts_with("schedule_days_of_week"));
    let err = BatchSettings::from_fields(&fields(json!({"priority": "urgent"}))).unwrap_err();
    assert!(err.to_string().starts_with("priority"));
}

#[test]
fn the_update_mask_names_exactly_what_was_sent() {
    // SerpWow's update example: numbers as strings in JSON.
    let settings = BatchSettings::from_fields(&fields(json!({
        "schedule_type": "weekly", "schedule_days_of_week": "1", "schedule_hours": "8",
        "notification_email": null
    })))
    .unwrap();
    let (batch, mask) = settings.into_update(42).unwrap();
    assert_eq!(batch.id, 42);
    let mut paths = mask.paths.clone();
    paths.sort();
    assert_eq!(
        paths,
        [
            "notification.email",
            "schedule.days_of_week",
            "schedule.hours",
            "schedule.type"
        ]
    );
    let schedule = batch.schedule.unwrap();
    assert_eq!(schedule.r#type(), ScheduleType::Weekly);
    assert_eq!(schedule.days_of_week, vec![1]);
    assert_eq!(schedule.hours, vec![8]);
    assert_eq!(BatchSettings::default().into_update(42), None);
}

#[test]
fn put_bodies_carry_settings_searches_or_both() {
    let update = BatchUpdate::from_body(&json!({
        "name": "renamed",
        "searches": [
            {"q": "mcdonalds", "location": "United States", "custom_id": "MyCustomID_001"},
            {"q": "burger king", "id": "ignored", "num": 100}
        ]
    }))
    .unwrap();
    assert_eq!(update.settings.name.as_deref(), Some("renamed"));
    assert_eq!(update.searches.len(), 2);
    assert_eq!(update.searches[0].custom_id, "MyCustomID_001");
    assert!(!update.searches[1].parameters.contains_key("id"));
    let item = update.searches[1].clone().into_item();
    assert_eq!(item.parameters.unwrap().fields.len(), 2);

    let bare = BatchUpdate::from_body(&json!([{"q": "pizza"}])).unwrap();
    assert_eq!(bare.searches.len(), 1);
    assert_eq!(bare.settings, BatchSettings::default());

    // A form can carry the searches as JSON text.
    let form = Value::Object(form_fields(b"searches=%5B%7B%22q%22%3A%22pizza%22%7D%5D"));
    assert_eq!(BatchUpdate::from_body(&form).unwrap().searches.len(), 1);

    assert_eq!(
        BatchUpdate::from_body(&Value::Null).unwrap(),
        BatchUpdate::default()
    );
    assert!(BatchUpdate::from_body(&json!({"searches": ["q"]})).is_err());
    assert!(BatchUpdate::from_body(&json!("text")).is_err());
}
