//! The SOAP envelope reader on arbitrary bodies. The first byte picks the declared
//! charset and the action; the rest is the body. Every body must end in a request or
//! in a Fault whose envelope is well-formed XML.

#![no_main]

use libfuzzer_sys::fuzz_target;
use soap_translator::fuzzing::{Charset, Fault, Limits, OperationName, SoapVersion, read_request};

const CHARSETS: [Charset; 5] = [
    Charset::Unspecified,
    Charset::Utf8,
    Charset::Utf16,
    Charset::Utf16Le,
    Charset::Utf16Be,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let charset = CHARSETS[usize::from(selector) % CHARSETS.len()];
    let action = match selector / 5 % 3 {
        0 => None,
        1 => Some(OperationName::ALL[usize::from(selector) % OperationName::ALL.len()].action()),
        _ => Some("urn:not-an-operation".to_owned()),
    };
    // Smaller bounds than production's keep each run fast; the checks are the same.
    let limits = Limits {
        max_depth: 32,
        max_elements: 5_000,
        max_array_items: 1_000,
    };
    match read_request(body, charset, action.as_deref(), limits) {
        Ok(request) => {
            let _ = format!("{request:?}");
        }
        Err(failure) => {
            let fault = Fault::from_read_failure(&failure, SoapVersion::Soap11);
            assert_well_formed(&fault.body());
        }
    }
});

fn assert_well_formed(xml: &[u8]) {
    let text = std::str::from_utf8(xml).expect("a Fault is UTF-8");
    let mut reader = quick_xml::Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => return,
            Ok(_) => {}
            Err(error) => panic!("the Fault is not well-formed ({error}): {text}"),
        }
    }
}
