//! The `batch_resultset_completed` body SerpWow documents, with download links on the
//! REST door (whose public base URL the operator configures). The link paths are the
//! REST door's `/results/{id}/files/{format}/{page|all}` routes; callers add their
//! `api_key` to fetch them, so no secret ever travels in a webhook.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::storage::results::pages;
use crate::storage::webhooks::Delivery;

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The links of one format: every page, and all pages as one file.
pub fn links(base: &str, batch_id: i64, number: i32, format: &str, page_count: i64) -> Value {
    let base = base.trim_end_matches('/');
    let stem = format!("{base}/live/batches/{batch_id}/results/{number}/files/{format}");
    let pages: Vec<String> = (1..=page_count).map(|p| format!("{stem}/{p}")).collect();
    json!({"pages": pages, "all_pages": format!("{stem}/all")})
}

/// The POST body for one delivery.
pub fn body(base: &str, d: &Delivery) -> Value {
    let n = &d.notification;
    let page_count = pages(d.searches_total);
    let mut download_links = serde_json::Map::new();
    // A batch that chose no format still gets JSON links: a webhook without links
    // would tell its receiver nothing it can fetch.
    let json_wanted = n.as_json || !(n.as_jsonlines || n.as_csv);
    for (wanted, format) in [
        (json_wanted, "json"),
        (n.as_jsonlines, "jsonlines"),
        (n.as_csv, "csv"),
    ] {
        if wanted {
            let mut value = links(base, d.batch_id, d.number, format, page_count);
            if format == "csv" && !n.csv_fields.is_empty() {
                add_query(&mut value, "csv_fields", n.csv_fields.as_str());
            }
            download_links.insert(format.to_owned(), value);
        }
    }
    json!({
        "request_info": {"success": true, "type": "batch_resultset_completed"},
        "batch": {"id": d.batch_id.to_string(), "name": d.batch_name},
        "result_set": {
            "id": d.number,
            "started_at": iso(d.started_at),
            "ended_at": d.ended_at.map(iso),
            "searches_completed": d.searches_completed,
            "searches_failed": d.searches_failed,
            "searches_total": d.searches_total,
            "download_links": download_links,
        }
    })
}

fn add_query(links: &mut Value, key: &str, value: &str) {
    let suffix: String = form_urlencoded::Serializer::new(String::new())
        .append_pair(key, value)
        .finish();
    let append = |v: &mut Value| {
        if let Value::String(s) = v {
            s.push('?');
            s.push_str(&suffix);
        }
    };
    if let Some(Value::Array(pages)) = links.get_mut("pages") {
        pages.iter_mut().for_each(append);
    }
    if let Some(all) = links.get_mut("all_pages") {
        append(all);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Notification;

    fn delivery(notification: Notification) -> Delivery {
        let t = DateTime::parse_from_rfc3339("2020-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        Delivery {
            set_id: 1,
            batch_id: 9,
            batch_name: "My Batch".into(),
            notification,
            url: "http://example.com".into(),
            attempt: 1,
            number: 4,
            started_at: t,
            ended_at: Some(t),
            searches_total: 1_001,
            searches_completed: 1_000,
            searches_failed: 1,
        }
    }

    #[test]
    fn the_flags_choose_the_formats() {
        let body = body(
            "https://rest.example/",
            &delivery(Notification {
                as_csv: true,
                csv_fields: crate::bounded_text!("q,result.title"),
                ..Notification::default()
            }),
        );
        assert_eq!(body["request_info"]["type"], "batch_resultset_completed");
        assert_eq!(body["batch"]["id"], "9");
        let links = &body["result_set"]["download_links"];
        assert!(links.get("json").is_none() && links.get("jsonlines").is_none());
        assert_eq!(
            links["csv"]["pages"][1],
            "https://rest.example/live/batches/9/results/4/files/csv/2?csv_fields=q%2Cresult.title"
        );
        assert_eq!(body["result_set"]["started_at"], "2020-01-01T00:00:00.000Z");
    }

    #[test]
    fn no_flag_means_json() {
        let body = body("http://x", &delivery(Notification::default()));
        let links = &body["result_set"]["download_links"];
        assert_eq!(
            links["json"]["all_pages"],
            "http://x/live/batches/9/results/4/files/json/all"
        );
    }
}
