//! The WSDL of Services86 Batch (`?wsdl`, `?singleWsdl`), from a template in
//! `wsdl/Batch.wsdl` with `soap:address` pointing at this server as the client sees it.

use axum::http::uri::{Authority, Scheme};
use axum::http::{HeaderMap, Uri, header};

/// The WSDL with `{{ADDRESS}}` where the service address goes.
const TEMPLATE: &str = include_str!("../wsdl/Batch.wsdl");
const ADDRESS_PLACEHOLDER: &str = "{{ADDRESS}}";

/// The WSDL whose `soap:address` is `address` (XML-escaped here).
pub(crate) fn wsdl(address: &str) -> String {
    TEMPLATE.replacen(
        ADDRESS_PLACEHOLDER,
        &quick_xml::escape::escape(crate::xml::xml_safe(address).as_ref()),
        1,
    )
}

/// The URL clients should post to: the scheme a proxy reports in `X-Forwarded-Proto`
/// (else `http`), the `Host` the client used (else the request URI's authority, else
/// `localhost`), and the path the WSDL was asked for, customer segment included.
pub(crate) fn service_address(headers: &HeaderMap, uri: &Uri) -> String {
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').next())
        .map(str::trim)
        .and_then(|value| value.parse::<Scheme>().ok())
        .filter(|scheme| *scheme == Scheme::HTTPS || *scheme == Scheme::HTTP)
        .unwrap_or(Scheme::HTTP);
    // Only a syntactically valid authority is echoed; anything else could not be a
    // host the client reached us by.
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<Authority>().ok())
        .filter(|authority| !authority.as_str().contains('@'))
        .or_else(|| uri.authority().cloned())
        .map_or_else(|| "localhost".to_owned(), |authority| authority.to_string());
    format!("{scheme}://{host}{}", uri.path())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn address_comes_from_host_and_path() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("soap.example:8081"));
        let uri: Uri = "/Cust12345/Remote/Services86/Batch.svc?wsdl"
            .parse()
            .unwrap();
        assert_eq!(
            service_address(&headers, &uri),
            "http://soap.example:8081/Cust12345/Remote/Services86/Batch.svc"
        );
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(service_address(&headers, &uri).starts_with("https://soap.example:8081/"));
    }

    #[test]
    fn odd_hosts_are_not_echoed() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("a\"b<c"));
        let uri: Uri = "/Remote/Services86/Batch.svc".parse().unwrap();
        assert_eq!(
            service_address(&headers, &uri),
            "http://localhost/Remote/Services86/Batch.svc"
        );
    }

    #[test]
    fn address_is_escaped_into_the_template() {
        let document = wsdl("http://h/x?a=1&b=2");
        assert!(document.contains(r#"<soap:address location="http://h/x?a=1&amp;b=2"/>"#));
        assert!(!document.contains(ADDRESS_PLACEHOLDER));
    }

    #[test]
    fn template_names_every_operation_and_action() {
        let document = wsdl("http://h/");
        for op in crate::operation::OperationName::ALL {
            assert!(document.contains(&format!(r#"soapAction="{}""#, op.action())));
            assert!(document.contains(&format!(r#"<xs:element name="{}Response">"#, op.as_str())));
        }
        for part in [
            "WcfBatchService",
            "BasicHttpBinding_Batch",
            r#"portType name="Batch""#,
            "Aquired",
        ] {
            assert!(document.contains(part), "{part}");
        }
    }
}
