//! JSON values ⇄ `google.protobuf.Value`, for a search's free-form parameters.

use batch_proto::prost_types::{self, value::Kind};
use serde_json::{Map, Number, Value};

/// Largest integer an `f64` holds exactly (2^53); beyond it a number stays a float.
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// A JSON value as a protobuf `Value`. Protobuf numbers are `f64`, as in JavaScript.
pub(crate) fn to_proto(value: Value) -> prost_types::Value {
    let kind = match value {
        Value::Null => Kind::NullValue(prost_types::NullValue::NullValue.into()),
        Value::Bool(b) => Kind::BoolValue(b),
        Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        Value::String(s) => Kind::StringValue(s),
        Value::Array(items) => Kind::ListValue(prost_types::ListValue {
            values: items.into_iter().map(to_proto).collect(),
        }),
        Value::Object(map) => Kind::StructValue(to_struct(map)),
    };
    prost_types::Value { kind: Some(kind) }
}

/// A JSON object as a protobuf `Struct`.
pub(crate) fn to_struct(map: Map<String, Value>) -> prost_types::Struct {
    prost_types::Struct {
        fields: map.into_iter().map(|(k, v)| (k, to_proto(v))).collect(),
    }
}

/// A protobuf `Value` as JSON. Whole numbers come back as integers (`100`, not
/// `100.0`), as the caller most likely sent them.
pub(crate) fn from_proto(value: prost_types::Value) -> Value {
    match value.kind {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::BoolValue(b)) => Value::Bool(b),
        Some(Kind::NumberValue(n)) => number(n),
        Some(Kind::StringValue(s)) => Value::String(s),
        Some(Kind::ListValue(list)) => {
            Value::Array(list.values.into_iter().map(from_proto).collect())
        }
        Some(Kind::StructValue(s)) => Value::Object(from_struct(s)),
    }
}

/// A protobuf `Struct` as a JSON object.
pub(crate) fn from_struct(s: prost_types::Struct) -> Map<String, Value> {
    s.fields
        .into_iter()
        .map(|(k, v)| (k, from_proto(v)))
        .collect()
}

fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() <= MAX_EXACT_INTEGER {
        // Exact: |n| ≤ 2^53 and n has no fraction, so the cast loses nothing.
        return Value::Number(Number::from(n as i64));
    }
    Number::from_f64(n).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn search_parameters_round_trip() {
        let original = json!({
            "q": "mcdonalds", "location": "United States", "num": 100, "ratio": 0.5,
            "include_html": false, "tags": ["a", 1], "nested": {"x": null}
        });
        let Value::Object(map) = original.clone() else {
            unreachable!()
        };
        let back = Value::Object(from_struct(to_struct(map)));
        assert_eq!(back, original);
    }

    #[test]
    fn whole_floats_become_integers() {
        assert_eq!(number(100.0), json!(100));
        assert_eq!(number(-3.0), json!(-3));
        assert_eq!(number(1.5), json!(1.5));
        assert_eq!(number(f64::NAN), Value::Null);
    }
}
