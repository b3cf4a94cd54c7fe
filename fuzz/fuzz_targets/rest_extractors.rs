//! The REST door's request readers: the query string (`api_key`, list parameters) and
//! the body as JSON or form fields, through the coercions every handler applies. The
//! first byte picks the content type; the input is split at the first newline into
//! query string and body.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rest_translator::fuzzing::read_request;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let is_json = match selector % 3 {
        0 => None,
        1 => Some(true),
        _ => Some(false),
    };
    let (query, body) = match rest.iter().position(|byte| *byte == b'\n') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    // A URI's query is text; hyper refuses anything else before a handler runs.
    let Ok(query) = std::str::from_utf8(query) else {
        return;
    };
    read_request(query, body, is_json);
});
