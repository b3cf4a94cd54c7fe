//! Where a webhook may go. A batch's owner chooses the URL, so without this check the
//! service would POST into its own network (SSRF): loopback, link-local, private,
//! shared and unspecified addresses are refused unless the operator's allow-list names
//! the host or the address. The checked address is the one connected to (the client
//! pins it), so a DNS answer cannot change between the check and the POST.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Hosts and addresses that may be delivered to even though they are not public.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<String>);

impl AllowList {
    /// Entries are host names or IP addresses, compared case-insensitively.
    pub fn new(entries: impl IntoIterator<Item = String>) -> Self {
        Self(
            entries
                .into_iter()
                .map(|e| e.trim().trim_matches(['[', ']']).to_ascii_lowercase())
                .filter(|e| !e.is_empty())
                .collect(),
        )
    }

    fn allows(&self, host: &str, addr: IpAddr) -> bool {
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        self.0
            .iter()
            .any(|e| *e == host || e.parse::<IpAddr>().is_ok_and(|ip| ip == addr))
    }
}

/// A destination that passed the check: connect to `addr` for `host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub url: reqwest::Url,
    pub host: String,
    pub addr: SocketAddr,
}

/// Parses, resolves and checks a webhook URL; `Err` says why it is refused.
pub async fn check(raw: &str, allow: &AllowList) -> Result<Destination, String> {
    let url = reqwest::Url::parse(raw).map_err(|e| format!("the URL is not valid: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("the scheme {} is not http or https", url.scheme()));
    }
    let host = url
        .host_str()
        .ok_or_else(|| "the URL has no host".to_owned())?
        .to_owned();
    let port = url
        .port_or_known_default()
        .ok_or_else(|| "the URL has no port".to_owned())?;
    let bare = host.trim_matches(['[', ']']);
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| format!("{host} cannot be resolved: {e}"))?
            .collect(),
    };
    // Every address must pass: otherwise the one refused could be the one we reach.
    let mut chosen = None;
    for addr in &addrs {
        if !is_public(addr.ip()) && !allow.allows(&host, addr.ip()) {
            return Err(format!(
                "{host} resolves to {}, which is not a public address",
                addr.ip()
            ));
        }
        chosen.get_or_insert(*addr);
    }
    let addr = chosen.ok_or_else(|| format!("{host} resolves to no address"))?;
    Ok(Destination {
        url,
        host: bare.to_owned(),
        addr,
    })
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        // 100.64.0.0/10, carrier-grade NAT (RFC 6598).
        || (a == 100 && (b & 0xc0) == 64))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_local_addresses_are_not_public() {
        for raw in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(raw.parse().unwrap()), "{raw}");
        }
        for raw in ["93.184.216.34", "2606:2800:220:1::1"] {
            assert!(is_public(raw.parse().unwrap()), "{raw}");
        }
    }

    #[tokio::test]
    async fn loopback_is_refused_unless_allowed() {
        let url = "http://127.0.0.1:9/hook";
        let refused = check(url, &AllowList::default()).await.unwrap_err();
        assert!(refused.contains("not a public address"), "{refused}");
        let allowed = check(url, &AllowList::new(["127.0.0.1".to_owned()]))
            .await
            .expect("allowed");
        assert_eq!(allowed.addr, "127.0.0.1:9".parse().unwrap());
        let by_name = check("http://localhost:9/", &AllowList::new(["LOCALHOST".into()])).await;
        assert!(by_name.is_ok(), "{by_name:?}");
    }

    #[tokio::test]
    async fn other_schemes_are_refused() {
        let refused = check("file:///etc/passwd", &AllowList::default()).await;
        assert!(refused.unwrap_err().contains("scheme"));
    }
}
