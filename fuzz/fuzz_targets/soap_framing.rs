//! The SOAP door's HTTP framing: `Content-Type` (media type, charset, action) and
//! `SOAPAction`, then the body read as the framing says. The input is split at the
//! first two newlines into content type, SOAPAction and body.

#![no_main]

use http::{HeaderMap, HeaderValue, header};
use libfuzzer_sys::fuzz_target;
use soap_translator::fuzzing::{Fault, Framing, Limits, read_request};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |byte| *byte == b'\n');
    let content_type = parts.next().unwrap_or_default();
    let soap_action = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let mut headers = HeaderMap::new();
    for (name, value) in [
        (header::CONTENT_TYPE, content_type),
        (header::HeaderName::from_static("soapaction"), soap_action),
    ] {
        // Bytes no HTTP parser would pass as a header value cannot reach the door.
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.insert(name, value);
        }
    }
    let hint = Framing::version_hint(&headers);
    match Framing::from_headers(&headers) {
        Ok(framing) => {
            if let Err(failure) = read_request(
                body,
                framing.charset,
                framing.action.as_deref(),
                Limits::default(),
            ) {
                let _ = Fault::from_read_failure(&failure, framing.version).body();
            }
        }
        Err(fault) => {
            let _ = (fault.body(), fault.status(), hint);
        }
    }
});
