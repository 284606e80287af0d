//! The client's address, for audit logs and per-address limits: the connection's peer, or, when
//! the peer is one of `http.trusted_proxies`, the address that proxy says it forwarded for in
//! `http.client_address_header` (`X-Forwarded-For`, or `Forwarded: for=…`). Resolved once per
//! request by [`resolve`].
//!
//! The web app calls the API on its visitors' behalf; it names the visitor in
//! [`FORWARDED_CLIENT`] and proves it is one of the deployment's services with the internal
//! token in [`FORWARDING_SERVICE`], so per-address limits apply to the visitor, not to the web
//! app's own address.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{HeaderMap, request::Parts},
    middleware::Next,
    response::Response,
};
use ipnet::IpNet;

use super::TokenVerifier;
use crate::config::ClientAddressHeader;

/// The header in which a service of the deployment names the client it calls for.
pub const FORWARDED_CLIENT: &str = "x-riffle-client";
/// The header carrying the internal token of the service that sets [`FORWARDED_CLIENT`].
pub const FORWARDING_SERVICE: &str = "x-riffle-service";

/// The client's address as a string (empty when unknown, e.g. in-process tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIp(pub String);

/// The client's address, as [`resolve`] found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The addresses the `header` lists, nearest hop last; `Forwarded` `for=` values may be quoted,
/// bracketed and carry a port.
fn forwarded_chain(headers: &HeaderMap, header: ClientAddressHeader) -> Vec<IpAddr> {
    let values = |name: &str| headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
    match header {
        ClientAddressHeader::XForwardedFor => {
            values("x-forwarded-for").iter().flat_map(|v| v.split(',')).filter_map(|a| a.trim().parse().ok()).collect()
        }
        ClientAddressHeader::Forwarded => values("forwarded")
            .iter()
            .flat_map(|v| v.split(','))
            .filter_map(|element| {
                let value = element.split(';').find_map(|pair| {
                    let (key, value) = pair.trim().split_once('=')?;
                    key.eq_ignore_ascii_case("for").then_some(value.trim().trim_matches('"'))
                })?;
                let host = match value.strip_prefix('[') {
                    Some(rest) => rest.split(']').next()?,
                    None => value.split(':').next()?,
                };
                host.parse().ok()
            })
            .collect(),
    }
}

/// Who may name the client: the proxies to trust, and the header they set.
#[derive(Debug, Clone)]
pub struct Proxies {
    pub trusted: Vec<IpNet>,
    pub header: ClientAddressHeader,
}

/// The client behind `peer`: `peer` itself unless it is a trusted proxy, else the nearest
/// address in the forwarded chain that is not a trusted proxy (a client cannot forge the hops
/// after its own, only before them).
pub fn client_address(peer: IpAddr, headers: &HeaderMap, proxies: &Proxies) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: &IpAddr| proxies.trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let chain: Vec<IpAddr> = forwarded_chain(headers, proxies.header).into_iter().map(canonical).collect();
    chain.iter().rev().find(|ip| !is_trusted(ip)).or(chain.first()).copied().unwrap_or(peer)
}

/// The client a service of the deployment vouches for, when the request carries the internal
/// token beside it; anyone else's [`FORWARDED_CLIENT`] is ignored.
fn vouched_client(headers: &HeaderMap, verifier: &TokenVerifier) -> Option<IpAddr> {
    let token = headers.get(FORWARDING_SERVICE)?.to_str().ok()?;
    if !verifier.is_internal_token(token) {
        return None;
    }
    headers.get(FORWARDED_CLIENT)?.to_str().ok()?.trim().parse().ok().map(canonical)
}

/// Middleware: finds the client's address once and leaves it in the request's extensions.
pub async fn resolve(
    State((proxies, verifier)): State<(Arc<Proxies>, Arc<TokenVerifier>)>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let client = vouched_client(request.headers(), &verifier)
            .unwrap_or_else(|| client_address(peer.ip(), request.headers(), &proxies));
        request.extensions_mut().insert(ClientAddr(client));
    }
    next.run(request).await
}

/// The address as IPv4 when it is an IPv4 address seen through a dual-stack socket
/// (`::ffff:a.b.c.d`), so that rules about IPv4 networks apply to it.
pub fn canonical(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, std::net::IpAddr::V4),
        v4 => v4,
    }
}

/// The address a per-address limit counts under: IPv4 as is, IPv6 by its /64 (one subscriber's
/// network, which hands out addresses within it freely).
pub fn limit_key(ip: std::net::IpAddr) -> std::net::IpAddr {
    match canonical(ip) {
        std::net::IpAddr::V6(v6) => std::net::IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        v4 => v4,
    }
}

impl ClientIp {
    /// [`limit_key`] of the address, as text ("" when unknown, or not an address).
    pub fn limit_key(&self) -> String {
        self.0.parse().map(|ip| limit_key(ip).to_string()).unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let resolved = parts.extensions.get::<ClientAddr>().map(|ClientAddr(ip)| *ip);
        let peer = || parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| canonical(addr.ip()));
        Ok(ClientIp(resolved.or_else(peer).map(|ip| ip.to_string()).unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_network_is_one_key_and_ipv4_is_itself() {
        let key = |ip: &str| limit_key(ip.parse().unwrap()).to_string();
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::");
        assert_eq!(key("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::");
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let trusted =
            Proxies { trusted: vec!["10.0.0.0/8".parse().unwrap()], header: ClientAddressHeader::XForwardedFor };
        let forged = headers(&[("x-forwarded-for", "203.0.113.1")]);
        let stranger: IpAddr = "198.51.100.9".parse().unwrap();
        assert_eq!(client_address(stranger, &forged, &trusted), stranger, "a client's own header is ignored");
        assert_eq!(client_address(proxy, &forged, &trusted), "203.0.113.1".parse::<IpAddr>().unwrap());
        // A client prepends a lie; the proxy appends what it saw: the nearest untrusted hop wins.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.9, 10.0.0.7")]);
        assert_eq!(client_address(proxy, &chain, &trusted), stranger);
        assert_eq!(client_address(proxy, &HeaderMap::new(), &trusted), proxy, "no header: the proxy itself");
        let nothing = Proxies { trusted: Vec::new(), header: ClientAddressHeader::XForwardedFor };
        assert_eq!(client_address(proxy, &forged, &nothing), proxy, "nothing trusted by default");
    }

    #[test]
    fn only_the_header_the_proxy_sets_is_read() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let networks = vec!["10.0.0.0/8".parse().unwrap()];
        let rfc = Proxies { trusted: networks.clone(), header: ClientAddressHeader::Forwarded };
        let xff = Proxies { trusted: networks, header: ClientAddressHeader::XForwardedFor };
        let both = headers(&[
            ("forwarded", r#"for=192.0.2.60;proto=http, for="[2001:db8:cafe::17]:4711""#),
            ("x-forwarded-for", "198.51.100.9"),
        ]);
        assert_eq!(client_address(proxy, &both, &rfc), "2001:db8:cafe::17".parse::<IpAddr>().unwrap());
        // A proxy that sets X-Forwarded-For passes the client's own `Forwarded` through: a lie.
        assert_eq!(client_address(proxy, &both, &xff), "198.51.100.9".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn only_a_service_with_the_internal_token_names_the_client() {
        let verifier = TokenVerifier::new("riffle", "riffle", 16, None).with_internal_token("s3cret");
        let vouched = headers(&[(FORWARDED_CLIENT, "2001:db8::7"), (FORWARDING_SERVICE, "s3cret")]);
        assert_eq!(vouched_client(&vouched, &verifier), Some("2001:db8::7".parse().unwrap()));
        let forged = headers(&[(FORWARDED_CLIENT, "2001:db8::7"), (FORWARDING_SERVICE, "guess")]);
        assert_eq!(vouched_client(&forged, &verifier), None);
        assert_eq!(vouched_client(&headers(&[(FORWARDED_CLIENT, "2001:db8::7")]), &verifier), None);
    }
}
