//! The hostile corpus (`tests/corpus/`, expectations in `expected.tsv`): every file is
//! answered with the right SOAP Fault and HTTP status, never a panic or a hang, and
//! never a call to the service (the upstream here does not exist).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use crate::helpers::{PATH, assert_well_formed, dead_upstream, send, test_app};
use soap_translator::AppConfig;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");

struct Case {
    file: String,
    content_type: String,
    soap_action: Option<String>,
    status: u16,
    fault_code: String,
    reason: String,
}

fn cases() -> Vec<Case> {
    let manifest = std::fs::read_to_string(Path::new(CORPUS).join("expected.tsv")).unwrap();
    manifest
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 6, "bad manifest line: {line}");
            Case {
                file: fields[0].to_owned(),
                content_type: fields[1].to_owned(),
                soap_action: (fields[2] != "-").then(|| fields[2].to_owned()),
                status: fields[3].parse().unwrap(),
                fault_code: fields[4].to_owned(),
                reason: fields[5].to_owned(),
            }
        })
        .collect()
}

#[test]
fn every_corpus_file_has_an_expectation() {
    let listed: BTreeSet<String> = cases().into_iter().map(|case| case.file).collect();
    let present: BTreeSet<String> = std::fs::read_dir(CORPUS)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != "expected.tsv")
        .collect();
    assert_eq!(listed, present);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_input_gets_the_right_fault() {
    let config = AppConfig {
        body_limit_bytes: 16 * 1024,
        ..AppConfig::default()
    };
    for case in cases() {
        let body = std::fs::read(Path::new(CORPUS).join(&case.file)).unwrap();
        let mut headers = vec![("content-type", case.content_type.as_str())];
        if let Some(action) = &case.soap_action {
            headers.push(("soapaction", action.as_str()));
        }
        let answer = tokio::time::timeout(
            Duration::from_secs(5),
            send(
                test_app(dead_upstream(), config.clone()),
                "POST",
                PATH,
                &headers,
                body,
            ),
        )
        .await
        .unwrap_or_else(|_| panic!("{}: no answer within 5 s", case.file));
        let file = &case.file;
        assert_eq!(
            answer.status.as_u16(),
            case.status,
            "{file}: {}",
            answer.body
        );
        assert_well_formed(&answer.body);
        assert!(
            answer.body.contains("Fault>"),
            "{file}: not a Fault: {}",
            answer.body
        );
        assert!(
            answer.body.contains(&format!(">{}<", case.fault_code)),
            "{file}: expected {}: {}",
            case.fault_code,
            answer.body
        );
        assert!(
            answer.body.contains(&case.reason),
            "{file}: expected reason containing {:?}: {}",
            case.reason,
            answer.body
        );
        let soap12 = answer
            .body
            .contains("http://www.w3.org/2003/05/soap-envelope");
        let expected_type = if soap12 {
            "application/soap+xml; charset=utf-8"
        } else {
            "text/xml; charset=utf-8"
        };
        assert_eq!(answer.content_type, expected_type, "{file}");
        // Never a hint that the service was asked: that would be an in-band answer.
        assert!(!answer.body.contains("<Succeeded"), "{file}");
    }
}
