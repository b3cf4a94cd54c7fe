//! The files behind SerpWow's `download_links`, rendered by this door from the
//! service's data: result sets and searches as JSON (one array), JSON Lines (one object
//! per line) and CSV (`csv_fields` in dot notation picks the columns). SerpWow serves
//! "all pages" of JSON as a zip archive; this door serves one JSON file instead.

use serde_json::{Map, Value};

/// Results or searches per file page (SerpWow's page size for both).
pub(crate) const ROWS_PER_PAGE: i64 = 1_000;

/// A download format, as written in the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    JsonLines,
    Csv,
}

impl Format {
    pub(crate) fn parse(raw: &str) -> Option<Self> {
        match raw {
            "json" => Some(Self::Json),
            "jsonlines" => Some(Self::JsonLines),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::JsonLines => "jsonlines",
            Self::Csv => "csv",
        }
    }

    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::JsonLines => "application/x-ndjson",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// Which file page: a 1-based number, or all of them in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FilePage {
    Number(i64),
    All,
}

impl FilePage {
    pub(crate) fn parse(raw: &str) -> Option<Self> {
        match raw {
            "all" => Some(Self::All),
            _ => raw
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 1)
                .map(Self::Number),
        }
    }
}

/// `{"pages": [...], "all_pages": "..."}` for files under `stem`, with an optional
/// query string (e.g. `csv_fields=`).
pub(crate) fn links(stem: &str, page_count: i64, query: Option<&str>, all: bool) -> Value {
    let suffix = query.map(|q| format!("?{q}")).unwrap_or_default();
    let pages: Vec<Value> = (1..=page_count.max(1))
        .map(|p| Value::String(format!("{stem}/{p}{suffix}")))
        .collect();
    let mut links = Map::new();
    links.insert("pages".into(), Value::Array(pages));
    if all {
        links.insert(
            "all_pages".into(),
            Value::String(format!("{stem}/all{suffix}")),
        );
    }
    Value::Object(links)
}

/// The file body of `rows` in `format`; `csv_fields` (dot paths) choose the CSV
/// columns, else `default_fields`.
pub(crate) fn render(
    format: Format,
    rows: &[Value],
    csv_fields: &[String],
    default_fields: &[String],
) -> String {
    match format {
        Format::Json => Value::Array(rows.to_vec()).to_string(),
        Format::JsonLines => rows.iter().map(|r| format!("{r}\n")).collect(),
        Format::Csv => {
            let fields = if csv_fields.is_empty() {
                default_fields
            } else {
                csv_fields
            };
            let mut out = csv_line(fields.iter().map(String::as_str));
            for row in rows {
                let cells: Vec<String> = fields.iter().map(|f| cell(lookup(row, f))).collect();
                out.push_str(&csv_line(cells.iter().map(String::as_str)));
            }
            out
        }
    }
}

/// Splits `csv_fields=a,b.c` into its paths.
pub(crate) fn csv_fields(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A dot path into a row: object keys, or array indexes. A path that misses at the
/// row's top level is tried inside its `result` document, so `organic_results.0.title`
/// works as well as `result.organic_results.0.title`.
fn lookup<'a>(row: &'a Value, path: &str) -> Option<&'a Value> {
    let walk = |start: &'a Value| {
        path.split('.').try_fold(start, |value, key| match value {
            Value::Object(map) => map.get(key),
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
    };
    walk(row).or_else(|| row.get("result").and_then(walk))
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn csv_line<'a>(cells: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = cells
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.to_owned()
            }
        })
        .collect();
    format!("{}\r\n", quoted.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_fields_pick_columns_by_dot_path() {
        let rows = vec![json!({"id": "1", "success": true,
            "result": {"organic_results": [{"title": "A, \"quoted\""}]}})];
        let csv = render(
            Format::Csv,
            &rows,
            &csv_fields("id, organic_results.0.title,result.missing"),
            &[],
        );
        assert_eq!(
            csv,
            "id,organic_results.0.title,result.missing\r\n1,\"A, \"\"quoted\"\"\",\r\n"
        );
    }

    #[test]
    fn json_lines_are_one_object_a_line() {
        let rows = vec![json!({"a": 1}), json!({"a": 2})];
        assert_eq!(
            render(Format::JsonLines, &rows, &[], &[]),
            "{\"a\":1}\n{\"a\":2}\n"
        );
        assert_eq!(
            render(Format::Json, &rows, &[], &[]),
            "[{\"a\":1},{\"a\":2}]"
        );
    }

    #[test]
    fn links_list_every_page_and_all() {
        let links = links("http://x/f/csv", 2, Some("csv_fields=a"), true);
        assert_eq!(links["pages"][1], "http://x/f/csv/2?csv_fields=a");
        assert_eq!(links["all_pages"], "http://x/f/csv/all?csv_fields=a");
        assert_eq!(FilePage::parse("0"), None);
        assert_eq!(FilePage::parse("all"), Some(FilePage::All));
    }
}
