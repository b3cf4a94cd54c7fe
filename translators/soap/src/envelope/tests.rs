//! The reader on captured and normalized envelopes (files in `tests/envelopes/`).

use super::*;
use crate::model::{BatchTaskInfoInput, BatchTaskState};
use crate::operation::{Operation, OperationName};

macro_rules! envelope {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/envelopes/",
            $name
        ))
    };
}

fn read(xml: &str, action: Option<&str>) -> Result<SoapRequest, ReadFailure> {
    read_request(
        xml.as_bytes(),
        Charset::Unspecified,
        action,
        Limits::default(),
    )
}

fn action(op: OperationName) -> String {
    op.action()
}

#[test]
fn the_seed_request_reads_verbatim() {
    let request = read(envelope!("seed_delete_batch_tasks_request.xml"), None).unwrap();
    assert_eq!(request.version, SoapVersion::Soap12);
    assert_eq!(
        request.headers.ticket.as_deref(),
        Some("7T:1234abcxyzExample==")
    );
    assert_eq!(
        request.headers.application_token.as_deref(),
        Some("1234567-1234-9876")
    );
    assert_eq!(
        request.operation,
        Operation::DeleteBatchTasks { ids: vec![0] }
    );
    // Same answer when the action is given, as a SOAP 1.1-framed client sends it.
    let with_action = read(
        envelope!("seed_delete_batch_tasks_request.xml"),
        Some(&action(OperationName::DeleteBatchTasks)),
    )
    .unwrap();
    assert_eq!(with_action, request);
}

#[test]
fn soap11_with_header_reads() {
    let request = read(
        envelope!("soap11_delete_batch_tasks.xml"),
        Some(&action(OperationName::DeleteBatchTasks)),
    )
    .unwrap();
    assert_eq!(request.version, SoapVersion::Soap11);
    assert_eq!(request.headers.ticket.as_deref(), Some("7T:abc=="));
    assert_eq!(
        request.headers.application_token.as_deref(),
        Some("app-secret")
    );
    assert_eq!(
        request.operation,
        Operation::DeleteBatchTasks { ids: vec![17, 18] }
    );
}

#[test]
fn php_style_prefixes_and_entities_read() {
    let request = read(envelope!("soap11_php_prefixed_header.xml"), None).unwrap();
    assert_eq!(
        request.headers.ticket.as_deref(),
        Some("7T:1234abcxyzExample==")
    );
    assert_eq!(
        request.operation,
        Operation::GetBatchTaskInfosByNameAndAssociates {
            name: Some("Nightly & weekly \u{263A}".into()),
            associate_ids: vec![1, -4, 2],
        }
    );
}

#[test]
fn unqualified_and_default_namespace_items_read() {
    let request = read(envelope!("soap12_unqualified_items.xml"), None).unwrap();
    assert_eq!(request.version, SoapVersion::Soap12);
    // Surrounding whitespace stays; CallerSecret::parse trims it later.
    assert_eq!(
        request.headers.ticket.as_deref().map(str::trim),
        Some("7T:1234abcxyzExample==")
    );
    assert_eq!(
        request.operation,
        Operation::GetBatchTaskInfosByAssociatesAndState {
            associate_ids: vec![1, 2, 3],
            state: BatchTaskState::Aquired,
        }
    );
    let request = read(envelope!("soap11_no_namespace_items.xml"), None).unwrap();
    assert_eq!(
        request.operation,
        Operation::DeleteBatchTasks {
            ids: vec![123456, 0]
        }
    );
}

#[test]
fn documented_get_batch_task_info_reads() {
    let request = read(envelope!("doc_get_batch_task_info.xml"), None).unwrap();
    assert_eq!(
        request.operation,
        Operation::GetBatchTaskInfo { id: 123456 }
    );
}

#[test]
fn update_reads_every_field_it_needs_and_skips_the_rest() {
    let request = read(
        envelope!("soap11_update_batch_task.xml"),
        Some(&action(OperationName::UpdateBatchTask)),
    )
    .unwrap();
    let Operation::UpdateBatchTask { info: Some(info) } = request.operation else {
        panic!("not an update: {:?}", request.operation);
    };
    assert_eq!(
        info,
        BatchTaskInfoInput {
            id: Some(123456),
            name: Some("renamed (not updatable)".into()),
            associate_id: Some(1),
            details_table: Some(-2),
            is_system_task: Some(false),
            parameters: Some(vec![("k".into(), String::new())]),
            state: Some(BatchTaskState::Failed),
            description: Some("<b>bold</b> & done".into()),
            response: Some(String::new()),
            progress_percent: Some(100),
            ..BatchTaskInfoInput::default()
        }
    );
}

#[test]
fn start_keeps_duplicate_parameters_in_order() {
    let request = read(envelope!("soap11_start_batch_job_new.xml"), None).unwrap();
    let Operation::StartBatchJob { info: Some(info) } = request.operation else {
        panic!("not a start");
    };
    assert_eq!(info.id, Some(0));
    assert_eq!(
        info.parameters.unwrap(),
        [
            ("format".to_owned(), "csv".to_owned()),
            ("format".to_owned(), "xlsx".to_owned())
        ]
    );
}

#[test]
fn every_operation_dispatches_by_action_and_by_element() {
    for op in OperationName::ALL {
        let xml = format!(
            r#"<s:Envelope xmlns:s="{SOAP11_NS}"><s:Body><{0} xmlns="{TNS}"/></s:Body></s:Envelope>"#,
            op.as_str()
        );
        assert_eq!(read(&xml, None).unwrap().operation.name(), op);
        assert_eq!(read(&xml, Some(&op.action())).unwrap().operation.name(), op);
    }
}

#[test]
fn wsa_action_header_is_honoured() {
    let xml = format!(
        r#"<s:Envelope xmlns:s="{SOAP12_NS}" xmlns:a="{WSA10_NS}"><s:Header><a:Action s:mustUnderstand="1">{}</a:Action></s:Header><s:Body><GetBatchTaskInfo xmlns="{TNS}"/></s:Body></s:Envelope>"#,
        OperationName::DeleteBatchTask.action()
    );
    let failure = read(&xml, None).unwrap_err();
    assert!(matches!(failure.error, ReadError::ActionMismatch { .. }));
    assert_eq!(failure.version, Some(SoapVersion::Soap12));
}

#[test]
fn absent_arguments_take_wcf_defaults() {
    let xml = format!(
        r#"<s:Envelope xmlns:s="{SOAP11_NS}"><s:Body><GetBatchTaskInfosByState xmlns="{TNS}"/></s:Body></s:Envelope>"#
    );
    assert_eq!(
        read(&xml, None).unwrap().operation,
        Operation::GetBatchTaskInfosByState {
            state: BatchTaskState::Unknown
        }
    );
    let nil = format!(
        r#"<s:Envelope xmlns:s="{SOAP11_NS}" xmlns:i="{XSI_NS}"><s:Body><DeleteBatchTasks xmlns="{TNS}"><BatchTaskIds i:nil="true"/></DeleteBatchTasks></s:Body></s:Envelope>"#
    );
    assert_eq!(
        read(&nil, None).unwrap().operation,
        Operation::DeleteBatchTasks { ids: vec![] }
    );
}

#[test]
fn bad_numbers_name_their_element() {
    let overflow = envelope!("seed_delete_batch_tasks_request.xml").replace(">0<", ">2147483648<");
    let failure = read(&overflow, None).unwrap_err();
    assert_eq!(
        failure.error.to_string(),
        "element BatchTaskIds/int: '2147483648' is not an xs:int (-2147483648 to 2147483647)"
    );
    let word = envelope!("doc_get_batch_task_info.xml").replace(">123456<", ">abc<");
    let failure = read(&word, None).unwrap_err();
    assert!(failure.error.to_string().starts_with("element Id: 'abc'"));
}

#[test]
fn arrays_are_bounded() {
    let xml = envelope!("soap11_delete_batch_tasks.xml");
    let limits = Limits {
        max_array_items: 1,
        ..Limits::default()
    };
    let failure = read_request(xml.as_bytes(), Charset::Unspecified, None, limits).unwrap_err();
    assert_eq!(
        failure.error,
        ReadError::TooManyItems {
            element: "BatchTaskIds".into(),
            limit: 1
        }
    );
}

#[test]
fn unknown_actions_and_elements_are_not_supported() {
    let xml = envelope!("soap11_delete_batch_tasks.xml");
    let failure = read(
        xml,
        Some("http://www.superoffice.net/ws/crm/NetServer/Services86/Batch/CancelBatchTask"),
    )
    .unwrap_err();
    assert!(matches!(failure.error, ReadError::UnknownAction(_)));
    let renamed = xml.replace("DeleteBatchTasks", "GetBatchTaskInfoList");
    let failure = read(&renamed, None).unwrap_err();
    assert!(matches!(failure.error, ReadError::UnknownOperation(_)));
}

#[test]
fn a_byte_order_mark_is_fine() {
    let xml = format!("\u{FEFF}{}", envelope!("soap11_delete_batch_tasks.xml"));
    assert!(read(&xml, None).is_ok());
}

/// Every prefix of real envelopes is either a request or a clean error: never a panic.
#[test]
fn every_truncation_is_an_error_not_a_panic() {
    for xml in [
        envelope!("seed_delete_batch_tasks_request.xml"),
        envelope!("soap11_update_batch_task.xml"),
        envelope!("soap11_php_prefixed_header.xml"),
    ] {
        let bytes = xml.as_bytes();
        let complete = xml.trim_end().len();
        for end in 0..bytes.len() {
            let result = read_request(&bytes[..end], Charset::Unspecified, None, Limits::default());
            if end < complete {
                assert!(result.is_err(), "a prefix of {end} bytes was accepted");
            }
        }
    }
}

/// Deterministic byte mutations of real envelopes (a poor man's fuzzer): the reader
/// must answer each, quickly, without panicking.
#[test]
fn mutated_envelopes_never_panic() {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let specials = b"<>&;/=\"'#x:! \n\xC3\xFF0123456789-+";
    for xml in [
        envelope!("seed_delete_batch_tasks_request.xml"),
        envelope!("soap11_start_batch_job_new.xml"),
        envelope!("soap12_unqualified_items.xml"),
    ] {
        for _ in 0..3_000 {
            let mut bytes = xml.as_bytes().to_vec();
            for _ in 0..(1 + next() % 4) {
                let at = (next() as usize) % bytes.len();
                match next() % 3 {
                    0 => bytes[at] = specials[(next() as usize) % specials.len()],
                    1 => {
                        bytes.remove(at);
                    }
                    _ => {
                        let len = 1 + (next() as usize) % 16;
                        let end = (at + len).min(bytes.len());
                        let chunk = bytes[at..end].to_vec();
                        bytes.splice(at..at, chunk);
                    }
                }
            }
            let _ = read_request(&bytes, Charset::Unspecified, None, Limits::default());
        }
    }
}

#[test]
fn dictionary_entries_may_be_unqualified_like_array_items() {
    let xml = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><t:StartBatchJob xmlns:t="http://www.superoffice.net/ws/crm/NetServer/Services86"><t:BatchTaskInfo><t:ParameterObject><StringKeyValuePair><Key>format</Key><Value>csv</Value></StringKeyValuePair></t:ParameterObject></t:BatchTaskInfo></t:StartBatchJob></s:Body></s:Envelope>"#;
    let Operation::StartBatchJob { info: Some(info) } = read(xml, None).unwrap().operation else {
        panic!("not a start");
    };
    assert_eq!(
        info.parameters.unwrap(),
        [("format".to_owned(), "csv".to_owned())]
    );
}

#[test]
fn services86_headers_must_be_qualified_and_single() {
    let get =
        r#"<GetBatchTaskInfo xmlns="http://www.superoffice.net/ws/crm/NetServer/Services86"/>"#;
    let envelope = |header: &str| {
        format!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>{header}</s:Header><s:Body>{get}</s:Body></s:Envelope>"#
        )
    };
    let failure = read(&envelope("<ApplicationToken>x</ApplicationToken>"), None).unwrap_err();
    assert_eq!(
        failure.error,
        ReadError::UnqualifiedHeader {
            element: "ApplicationToken".into()
        }
    );
    let twice = r#"<ApplicationToken xmlns="http://www.superoffice.net/ws/crm/NetServer/Services86">a</ApplicationToken><ApplicationToken xmlns="http://www.superoffice.net/ws/crm/NetServer/Services86">b</ApplicationToken>"#;
    assert_eq!(
        read(&envelope(twice), None).unwrap_err().error,
        ReadError::DuplicateHeader("ApplicationToken")
    );
}
