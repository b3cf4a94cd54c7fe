//! The loose typing SerpWow clients rely on, turned into strict values.
//!
//! Request bodies arrive as JSON or as `x-www-form-urlencoded` fields; both become one
//! JSON object ([`Fields`]) so that each setting is read by one function, whatever the
//! encoding. The readers accept what real clients send: `"9,17"` or `[9, 17]` or `"8"`
//! for a list, `"true"`/`"1"` for a boolean, `"3"` for a number. Every error names the
//! field, because that is all a caller needs to fix the request.

use serde_json::{Map, Value};

/// A request body (or query string) as one JSON object, whichever encoding it came in.
pub(crate) type Fields = Map<String, Value>;

/// A value that cannot be read as the type a field needs. The text is shown to callers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct CoerceError(String);

impl CoerceError {
    /// `"{field} must be {expected}"`.
    pub(crate) fn expected(field: &str, expected: &str) -> Self {
        Self(format!("{field} must be {expected}"))
    }
}

/// Reads `x-www-form-urlencoded` text. A repeated key (`h=9&h=17`) or a key ending in
/// `[]` (`h[]=9`, as PHP and jQuery encode arrays) becomes a list of strings.
pub(crate) fn form_fields(body: &[u8]) -> Fields {
    let mut fields = Fields::new();
    for (key, value) in form_urlencoded::parse(body) {
        let (key, is_list) = match key.strip_suffix("[]") {
            Some(stripped) => (stripped.to_owned(), true),
            None => (key.into_owned(), false),
        };
        let value = Value::String(value.into_owned());
        match fields.get_mut(&key) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None if is_list => {
                fields.insert(key, Value::Array(vec![value]));
            }
            None => {
                fields.insert(key, value);
            }
        }
    }
    fields
}

/// Whether every name and value of `x-www-form-urlencoded` text is UTF-8 once
/// percent-decoded. [`form_fields`] would replace a bad sequence with U+FFFD and so
/// store text the client never sent; a body like that is refused instead.
pub(crate) fn form_is_utf8(body: &[u8]) -> bool {
    // Names and values are separated by ASCII `&` and `=`, which can neither start
    // nor continue a multi-byte sequence, so checking each decoded pair whole is the
    // same as checking its name and its value.
    body.split(|byte| *byte == b'&')
        .all(|pair| std::str::from_utf8(&percent_decode(pair)).is_ok())
}

/// `+` as space and `%XX` as the byte; a `%` not followed by two hex digits stays as
/// it is, as `form_urlencoded` leaves it.
fn percent_decode(encoded: &[u8]) -> Vec<u8> {
    let hex = |byte: u8| char::from(byte).to_digit(16);
    let mut decoded = Vec::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        match byte {
            b'+' => decoded.push(b' '),
            b'%' => match tail {
                [high, low, after @ ..] if hex(*high).is_some() && hex(*low).is_some() => {
                    let value = hex(*high).unwrap_or(0) * 16 + hex(*low).unwrap_or(0);
                    decoded.push(u8::try_from(value).unwrap_or(u8::MAX));
                    rest = after;
                }
                _ => decoded.push(b'%'),
            },
            other => decoded.push(other),
        }
    }
    decoded
}

/// Reads a boolean: JSON `true`/`false`, `1`/`0`, or the strings `true`, `false`, `1`,
/// `0`, `yes`, `no`, `on`, `off` (any case). `null` and the empty string are `false`.
pub(crate) fn to_bool(field: &str, value: &Value) -> Result<bool, CoerceError> {
    let invalid = || CoerceError::expected(field, "true or false");
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Null => Ok(false),
        Value::Number(n) => match n.as_i64() {
            Some(1) => Ok(true),
            Some(0) => Ok(false),
            _ => Err(invalid()),
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" | "" => Ok(false),
            _ => Err(invalid()),
        },
        // A form field sent twice: the last value wins, as for every other field.
        Value::Array(items) if !items.is_empty() => to_bool(field, &items[items.len() - 1]),
        Value::Array(_) | Value::Object(_) => Err(invalid()),
    }
}

/// Reads a text value. Numbers and booleans are written out (`"3"`, `"true"`), `null`
/// is the empty string, and a list is joined with commas (`["a","b"]` → `"a,b"`).
pub(crate) fn to_text(field: &str, value: &Value) -> Result<String, CoerceError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Ok(String::new()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Array(items) => {
            let parts = items
                .iter()
                .map(|item| match item {
                    Value::Array(_) | Value::Object(_) => Err(CoerceError::expected(field, "text")),
                    other => to_text(field, other),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(parts.join(","))
        }
        Value::Object(_) => Err(CoerceError::expected(field, "text")),
    }
}

/// Reads a list of texts: a JSON array, or one string holding a comma-separated list
/// (`"a,b"`), or one scalar. Blank items are dropped, so `""` is the empty list.
pub(crate) fn to_text_list(field: &str, value: &Value) -> Result<Vec<String>, CoerceError> {
    let mut out = Vec::new();
    for item in list_items(value) {
        match item {
            Value::String(s) => out.extend(split_commas(s).map(str::to_owned)),
            Value::Null => {}
            Value::Bool(_) | Value::Number(_) => out.push(to_text(field, item)?),
            Value::Array(_) | Value::Object(_) => {
                return Err(CoerceError::expected(field, "a list of texts"));
            }
        }
    }
    Ok(out)
}

/// Reads a list of whole numbers within `min..=max`: `[9, 17]`, `["9", "17"]`,
/// `"9,17"`, `"8"` or `8`. Blank items are dropped, so `""` is the empty list.
pub(crate) fn to_int_list(
    field: &str,
    value: &Value,
    min: i32,
    max: i32,
) -> Result<Vec<i32>, CoerceError> {
    let expected = || {
        CoerceError::expected(
            field,
            &format!("a list of whole numbers from {min} to {max}"),
        )
    };
    let in_range = |n: i64| {
        i32::try_from(n)
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(expected)
    };
    let mut out = Vec::new();
    for item in list_items(value) {
        match item {
            Value::Number(n) => out.push(in_range(n.as_i64().ok_or_else(expected)?)?),
            Value::String(s) => {
                for part in split_commas(s) {
                    out.push(in_range(part.parse::<i64>().map_err(|_| expected())?)?);
                }
            }
            Value::Null => {}
            Value::Bool(_) | Value::Array(_) | Value::Object(_) => return Err(expected()),
        }
    }
    Ok(out)
}

/// The elements of a list value, or the value itself when it is a single item.
fn list_items(value: &Value) -> &[Value] {
    match value {
        Value::Array(items) => items,
        other => std::slice::from_ref(other),
    }
}

fn split_commas(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim).filter(|part| !part.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn form_fields_keep_repeats_and_brackets_as_lists() {
        let fields = form_fields(b"name=My+First%20Batch&h=9&h=17&d[]=1&enabled=true");
        assert_eq!(fields["name"], json!("My First Batch"));
        assert_eq!(fields["h"], json!(["9", "17"]));
        assert_eq!(fields["d"], json!(["1"]));
        assert_eq!(fields["enabled"], json!("true"));
    }

    #[test]
    fn booleans_from_words_digits_and_json() {
        for yes in [
            json!(true),
            json!("true"),
            json!("1"),
            json!("TRUE"),
            json!(1),
            json!("on"),
        ] {
            assert_eq!(to_bool("b", &yes), Ok(true), "{yes}");
        }
        for no in [
            json!(false),
            json!("false"),
            json!("0"),
            json!(0),
            json!(""),
            json!(null),
        ] {
            assert_eq!(to_bool("b", &no), Ok(false), "{no}");
        }
        let err = to_bool("enabled", &json!("maybe")).unwrap_err();
        assert_eq!(err.to_string(), "enabled must be true or false");
        assert!(to_bool("b", &json!(2)).is_err());
    }

    #[test]
    fn int_lists_from_commas_single_values_and_arrays() {
        let hours = |v: Value| to_int_list("schedule_hours", &v, 0, 23);
        assert_eq!(hours(json!("9,17")), Ok(vec![9, 17]));
        assert_eq!(hours(json!(" 9 , 17 ")), Ok(vec![9, 17]));
        assert_eq!(hours(json!("8")), Ok(vec![8]));
        assert_eq!(hours(json!(8)), Ok(vec![8]));
        assert_eq!(hours(json!([9, 17])), Ok(vec![9, 17]));
        assert_eq!(hours(json!(["9", "17"])), Ok(vec![9, 17]));
        assert_eq!(hours(json!("")), Ok(vec![]));
        assert_eq!(hours(json!([])), Ok(vec![]));
        let err = hours(json!("9,24")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "schedule_hours must be a list of whole numbers from 0 to 23"
        );
        assert!(hours(json!("nine")).is_err());
        assert!(hours(json!(9.5)).is_err());
        assert!(hours(json!(true)).is_err());
    }

    #[test]
    fn text_lists_and_texts() {
        assert_eq!(
            to_text_list("d", &json!("ABCDEFG, XYZ")),
            Ok(vec!["ABCDEFG".to_owned(), "XYZ".to_owned()])
        );
        assert_eq!(to_text_list("d", &json!(["a", "b"])).unwrap().len(), 2);
        assert_eq!(to_text_list("d", &json!("")), Ok(vec![]));
        assert!(to_text_list("d", &json!([{"a": 1}])).is_err());
        assert_eq!(to_text("n", &json!(42)), Ok("42".to_owned()));
        assert_eq!(to_text("n", &json!(null)), Ok(String::new()));
        assert_eq!(to_text("n", &json!(["a", "b"])), Ok("a,b".to_owned()));
        assert!(to_text("n", &json!({"a": 1})).is_err());
    }
}
