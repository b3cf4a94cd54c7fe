//! Batch items between proto (`google.protobuf.Struct` parameters) and storage (JSON).

use batch_proto::prost_types::{self, value::Kind};
use batch_proto::v1 as pb;
use serde_json::{Map, Number, Value};

use super::convert::{Violations, timestamp};
use super::error::ApiError;
use crate::storage::ItemRecord;
use crate::storage::items::NewItem;

/// At most this many items per add call (SerpWow's limit).
pub(crate) const MAX_ITEMS_PER_CALL: usize = 1_000;
/// At most this much JSON per item.
const MAX_ITEM_JSON_BYTES: usize = 64 * 1024;

pub(crate) fn new_items(items: Vec<pb::BatchItem>) -> Result<Vec<NewItem>, ApiError> {
    let mut v = Violations::default();
    if items.is_empty() || items.len() > MAX_ITEMS_PER_CALL {
        v.add(
            "items",
            format!("must hold 1 to {MAX_ITEMS_PER_CALL} items"),
        );
    }
    let items = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let parameters = item
                .parameters
                .map(struct_to_json)
                .unwrap_or_else(|| Value::Object(Map::new()));
            if holds_nul(&parameters) {
                v.add(
                    format!("items[{i}].parameters"),
                    "must not contain NUL characters",
                );
            }
            if parameters.to_string().len() > MAX_ITEM_JSON_BYTES {
                v.add(
                    format!("items[{i}].parameters"),
                    "must be at most 64 KiB as JSON",
                );
            }
            NewItem {
                custom_id: v.text(&format!("items[{i}].custom_id"), item.custom_id, 1_024),
                parameters,
            }
        })
        .collect();
    v.finish(items)
}

pub(crate) fn item_to_proto(record: ItemRecord) -> pb::BatchItem {
    pb::BatchItem {
        id: record.id,
        batch_id: record.batch_id,
        custom_id: record.custom_id,
        parameters: match json_to_value(record.parameters).kind {
            Some(Kind::StructValue(s)) => Some(s),
            _ => Some(prost_types::Struct::default()),
        },
        create_time: Some(timestamp(record.created_at)),
    }
}

/// PostgreSQL's JSON cannot hold NUL, in a key or in a string.
fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(holds_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

pub(crate) fn struct_to_json(s: prost_types::Struct) -> Value {
    Value::Object(
        s.fields
            .into_iter()
            .map(|(k, v)| (k, value_to_json(v)))
            .collect(),
    )
}

fn value_to_json(value: prost_types::Value) -> Value {
    match value.kind {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::NumberValue(n)) => Number::from_f64(n).map_or(Value::Null, Value::Number),
        Some(Kind::StringValue(s)) => Value::String(s),
        Some(Kind::BoolValue(b)) => Value::Bool(b),
        Some(Kind::StructValue(s)) => struct_to_json(s),
        Some(Kind::ListValue(l)) => Value::Array(l.values.into_iter().map(value_to_json).collect()),
    }
}

fn json_to_value(value: Value) -> prost_types::Value {
    let kind = match value {
        Value::Null => Kind::NullValue(0),
        Value::Bool(b) => Kind::BoolValue(b),
        Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        Value::String(s) => Kind::StringValue(s),
        Value::Array(a) => Kind::ListValue(prost_types::ListValue {
            values: a.into_iter().map(json_to_value).collect(),
        }),
        Value::Object(o) => Kind::StructValue(prost_types::Struct {
            fields: o.into_iter().map(|(k, v)| (k, json_to_value(v))).collect(),
        }),
    };
    prost_types::Value { kind: Some(kind) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trips_through_struct() {
        let original = serde_json::json!({"q": "pizza", "page": 2.0, "flags": [true, null], "nested": {"a": "b"}});
        let Kind::StructValue(s) = json_to_value(original.clone()).kind.unwrap() else {
            panic!("not a struct")
        };
        assert_eq!(struct_to_json(s), original);
    }
}
