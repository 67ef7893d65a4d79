//! The client's address for per-address limits (failed sign-ins). The TCP peer, unless it is a
//! proxy the operator trusts (`kindling serve --trusted-proxy`): then the rightmost address in
//! `X-Forwarded-For` that is not itself a trusted proxy — entries to its left were written by
//! the client and prove nothing. Without trusted proxies the header is ignored entirely.

use std::net::IpAddr;

/// The address limits count against, from the TCP `peer`, the request's `X-Forwarded-For`
/// values (in header order) and the trusted proxies.
pub fn client_ip<'a>(
    peer: IpAddr,
    forwarded_for: impl IntoIterator<Item = &'a str>,
    trusted: &[IpAddr],
) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded_for
        .into_iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return ip,
            // A hop a trusted proxy could not have written: count against the proxy itself.
            Err(_) => return peer,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_the_header_says() {
        assert_eq!(
            client_ip(ip("203.0.113.7"), ["10.0.0.1"], &[ip("127.0.0.1")]),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), ["10.0.0.1"], &[]),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let trusted = [ip("127.0.0.1"), ip("10.1.1.1")];
        // The client forged the first entry; the proxies appended the real address.
        let header = ["198.51.100.9, 203.0.113.7", "10.1.1.1"];
        assert_eq!(
            client_ip(ip("127.0.0.1"), header, &trusted),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), ["2001:db8::5"], &trusted),
            ip("2001:db8::5")
        );
        // Nothing usable: the proxy itself.
        assert_eq!(client_ip(ip("127.0.0.1"), [], &trusted), ip("127.0.0.1"));
        assert_eq!(
            client_ip(ip("127.0.0.1"), ["10.1.1.1"], &trusted),
            ip("127.0.0.1")
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), ["not-an-ip"], &trusted),
            ip("127.0.0.1")
        );
    }
}
