//! The item RPCs. Item parameters arrive as a `google.protobuf.Struct` and are kept
//! as a JSON object.

use batch_proto::prost_types::{self, value::Kind};
use batch_proto::v1 as pb;
use serde_json::{Map, Number, Value};

use super::paging::{self, Page};
use super::{Violations, batch_id, item_id};
use crate::domain::{BatchId, ItemId, ShortText, TextLimits};
use crate::grpc::error::ApiError;
use crate::storage::items::NewItem;

/// At most this many items per add or delete call (SerpWow's limit).
const MAX_ITEMS_PER_CALL: usize = 1_000;
/// At most this much JSON per item.
const MAX_ITEM_JSON_BYTES: usize = 64 * 1024;
/// Items per page when the request does not say.
const DEFAULT_ITEM_PAGE: i32 = 1_000;

/// An `AddBatchItems`.
#[derive(Debug)]
pub(crate) struct AddItems {
    pub(crate) batch: BatchId,
    pub(crate) items: Vec<NewItem>,
}

pub(crate) fn add_batch_items(req: pb::AddBatchItemsRequest) -> Result<AddItems, ApiError> {
    let batch = batch_id("batch_id", req.batch_id)?;
    let mut v = Violations::default();
    if req.items.is_empty() || req.items.len() > MAX_ITEMS_PER_CALL {
        v.add(
            "items",
            format!("must hold 1 to {MAX_ITEMS_PER_CALL} items"),
        );
    }
    let items = req
        .items
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
                custom_id: v.bounded(&format!("items[{i}].custom_id"), item.custom_id),
                parameters,
            }
        })
        .collect();
    v.finish(AddItems { batch, items })
}

/// A `ListBatchItems`: the page, the optional search text, and the fingerprint of the
/// filters for page tokens.
#[derive(Debug)]
pub(crate) struct ListItems {
    pub(crate) batch: BatchId,
    pub(crate) query: Option<ShortText>,
    pub(crate) page: Page,
    pub(crate) fingerprint: String,
}

pub(crate) fn list_batch_items(req: pb::ListBatchItemsRequest) -> Result<ListItems, ApiError> {
    let batch = batch_id("batch_id", req.batch_id)?;
    let mut v = Violations::default();
    let (page, fingerprint) = paging::page(&mut v, &req, DEFAULT_ITEM_PAGE);
    let query: ShortText = v.bounded("query", req.query);
    v.finish(ListItems {
        batch,
        query: (!query.is_empty()).then_some(query),
        page,
        fingerprint,
    })
}

/// A `DeleteBatchItems`.
#[derive(Debug)]
pub(crate) struct DeleteItems {
    pub(crate) batch: BatchId,
    pub(crate) items: Vec<ItemId>,
}

pub(crate) fn delete_batch_items(
    req: pb::DeleteBatchItemsRequest,
) -> Result<DeleteItems, ApiError> {
    let batch = batch_id("batch_id", req.batch_id)?;
    if req.item_ids.is_empty() || req.item_ids.len() > MAX_ITEMS_PER_CALL {
        return Err(ApiError::invalid("item_ids", "must hold 1 to 1000 ids"));
    }
    let items = req
        .item_ids
        .iter()
        .enumerate()
        .map(|(i, raw)| item_id(&format!("item_ids[{i}]"), *raw))
        .collect::<Result<_, _>>()?;
    Ok(DeleteItems { batch, items })
}

/// An `UpdateBatchItem`: parameters to merge (a null removes the key) and a new
/// custom id; at least one of them.
#[derive(Debug)]
pub(crate) struct ItemUpdate {
    pub(crate) batch: BatchId,
    pub(crate) item: ItemId,
    pub(crate) parameters: Map<String, Value>,
    pub(crate) custom_id: Option<ShortText>,
}

pub(crate) fn update_batch_item(req: pb::UpdateBatchItemRequest) -> Result<ItemUpdate, ApiError> {
    let batch = batch_id("batch_id", req.batch_id)?;
    let item = item_id("item_id", req.item_id)?;
    let mut v = Violations::default();
    let custom_id = req.custom_id.map(|c| v.bounded("custom_id", c));
    let parameters = match req.parameters.map(struct_to_json) {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    if parameters.is_empty() && custom_id.is_none() {
        v.add("parameters", "must name at least one parameter to change");
    }
    if Value::Object(parameters.clone()).to_string().len() > TextLimits::LONG_TEXT {
        v.add("parameters", "too large");
    }
    v.finish(ItemUpdate {
        batch,
        item,
        parameters,
        custom_id,
    })
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

fn struct_to_json(s: prost_types::Struct) -> Value {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::to_proto;

    #[test]
    fn json_round_trips_through_struct() {
        let original = serde_json::json!({"q": "pizza", "page": 2.0, "flags": [true, null], "nested": {"a": "b"}});
        let Value::Object(map) = original.clone() else {
            panic!("not an object")
        };
        assert_eq!(struct_to_json(to_proto::json_struct(map)), original);
    }
}
