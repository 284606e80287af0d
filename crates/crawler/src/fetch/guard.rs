//! The SSRF guard: which addresses the crawler may connect to. Default deny for everything
//! that is not the public internet (loopback, `0.0.0.0/8`, RFC 1918, link-local and so cloud
//! metadata, CGNAT, documentation and benchmark ranges, ULA, IPv4-mapped IPv6, NAT64, 6to4,
//! multicast, reserved), checked on every hop of every fetch.
//!
//! Names are resolved once, by [`GuardedResolver`], and the connection goes to the addresses
//! that passed, so a name cannot resolve to a public address for the check and a private one
//! for the connection (DNS rebinding). Addresses written in a URL never reach a resolver, so
//! [`Guard::check_url`] checks those before each hop.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use futures::future::BoxFuture;
use ipnet::{Ipv4Net, Ipv6Net};
use url::{Host, Url};

/// Why an address is refused (its range's name), or `None` for the public internet.
pub fn internal_range(ip: IpAddr) -> Option<&'static str> {
    static V4: &[(&str, &str)] = &[
        ("0.0.0.0/8", "this network"),
        ("10.0.0.0/8", "private network (RFC 1918)"),
        ("100.64.0.0/10", "carrier-grade NAT"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local (cloud metadata)"),
        ("172.16.0.0/12", "private network (RFC 1918)"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "6to4 relay"),
        ("192.168.0.0/16", "private network (RFC 1918)"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
    ];
    static V6: &[(&str, &str)] = &[
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::ffff:0:0/96", "IPv4-mapped IPv6"),
        ("64:ff9b::/96", "NAT64"),
        ("64:ff9b:1::/48", "NAT64 (local)"),
        ("100::/64", "discard"),
        ("2001:db8::/32", "documentation"),
        ("2002::/16", "6to4"),
        ("fc00::/7", "unique local (ULA)"),
        ("fe80::/10", "link-local"),
        ("ff00::/8", "multicast"),
    ];
    match ip {
        IpAddr::V4(v4) => V4.iter().find(|(net, _)| net.parse::<Ipv4Net>().expect("valid range").contains(&v4)),
        IpAddr::V6(v6) => V6.iter().find(|(net, _)| net.parse::<Ipv6Net>().expect("valid range").contains(&v6)),
    }
    .map(|(_, why)| *why)
}

/// A refused address, as the fetch error's source.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Which internal addresses are allowed after all (operators' settings).
#[derive(Debug, Clone, Default)]
pub struct Guard {
    allow_private_networks: bool,
    /// `(host, port)`; no port allows every port of the host.
    allow_hosts: Vec<(String, Option<u16>)>,
}

impl Guard {
    pub fn new(allow_private_networks: bool, allow_hosts: &[String]) -> Self {
        let allow_hosts = allow_hosts
            .iter()
            .map(|entry| {
                let entry = entry.trim().to_ascii_lowercase();
                match entry.rsplit_once(':').and_then(|(h, p)| p.parse::<u16>().ok().map(|p| (h.to_owned(), p))) {
                    Some((host, port)) if !host.contains(':') || host.starts_with('[') => {
                        (host.trim_matches(['[', ']']).to_owned(), Some(port))
                    }
                    _ => (entry.trim_matches(['[', ']']).to_owned(), None),
                }
            })
            .collect();
        Self { allow_private_networks, allow_hosts }
    }

    /// `port` is `None` where it is not known (a resolver sees names only): then the host's
    /// name decides.
    fn host_allowed(&self, host: &str, port: Option<u16>) -> bool {
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        self.allow_hosts.iter().any(|(h, p)| *h == host && (p.is_none() || port.is_none() || *p == port))
    }

    /// Whether `ip` may be connected to for `host`.
    fn check_ip(&self, host: &str, port: Option<u16>, ip: IpAddr) -> Result<(), Refused> {
        let Some(range) = internal_range(ip) else { return Ok(()) };
        if self.allow_private_networks || self.host_allowed(host, port) {
            return Ok(());
        }
        Err(Refused(format!("{host} is {ip}, a {range} address, which the crawler does not fetch")))
    }

    /// Checks a hop's URL before it is requested: an address written in it (no resolver sees
    /// those) must be public or allowed.
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        let port = url.port_or_known_default();
        match url.host() {
            Some(Host::Ipv4(v4)) => self.check_ip(&v4.to_string(), port, IpAddr::V4(v4)),
            Some(Host::Ipv6(v6)) => self.check_ip(&v6.to_string(), port, IpAddr::V6(v6)),
            Some(Host::Domain(name)) => match name.parse::<IpAddr>() {
                Ok(ip) => self.check_ip(name, port, ip),
                Err(_) => Ok(()),
            },
            None => Err(Refused("the URL has no host".into())),
        }
    }

    /// The addresses of `host` that may be connected to; an error naming the first refused one
    /// when none may.
    pub fn filter(&self, host: &str, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, Refused> {
        let mut first_refusal = None;
        let allowed: Vec<SocketAddr> = addrs
            .into_iter()
            .filter(|addr| match self.check_ip(host, None, addr.ip()) {
                Ok(()) => true,
                Err(refused) => {
                    first_refusal.get_or_insert(refused);
                    false
                }
            })
            .collect();
        match (allowed.is_empty(), first_refusal) {
            (true, Some(refused)) => Err(refused),
            (true, None) => Err(Refused(format!("{host} has no address"))),
            (false, _) => Ok(allowed),
        }
    }
}

/// How names become addresses: the system's resolver, or a stub in tests.
pub trait HostResolver: Send + Sync + 'static {
    fn lookup(&self, host: String) -> BoxFuture<'static, std::io::Result<Vec<SocketAddr>>>;
}

/// The system's resolver (`getaddrinfo` on the blocking pool).
#[derive(Debug, Default)]
pub struct SystemResolver;

impl HostResolver for SystemResolver {
    fn lookup(&self, host: String) -> BoxFuture<'static, std::io::Result<Vec<SocketAddr>>> {
        Box::pin(async move { Ok(tokio::net::lookup_host((host.as_str(), 0)).await?.collect()) })
    }
}

/// reqwest's resolver: resolves, then keeps only the addresses the guard allows.
pub struct GuardedResolver {
    pub guard: Arc<Guard>,
    pub inner: Arc<dyn HostResolver>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = Arc::clone(&self.guard);
        let inner = Arc::clone(&self.inner);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = inner.lookup(host.clone()).await?;
            let allowed = guard.filter(&host, addrs)?;
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Addresses that must never be allowed by accident; used by tests.
pub const SAMPLE_INTERNAL: &[IpAddr] = &[
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)),
    IpAddr::V4(Ipv4Addr::new(0, 0, 0, 0)),
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
    IpAddr::V4(Ipv4Addr::new(172, 16, 5, 4)),
    IpAddr::V4(Ipv4Addr::new(192, 168, 1, 1)),
    IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
    IpAddr::V4(Ipv4Addr::new(100, 64, 0, 1)),
    IpAddr::V4(Ipv4Addr::new(224, 0, 0, 251)),
    IpAddr::V6(Ipv6Addr::LOCALHOST),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1)),
    IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1)),
    IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1)),
    IpAddr::V6(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0x0a00, 1)),
    IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1)),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_internal_range_is_refused_and_public_addresses_pass() {
        for ip in SAMPLE_INTERNAL {
            assert!(internal_range(*ip).is_some(), "{ip} passed");
        }
        for public in ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "8.8.8.8"] {
            assert_eq!(internal_range(public.parse().unwrap()), None, "{public}");
        }
    }

    #[test]
    fn urls_with_internal_addresses_are_refused_unless_allowed() {
        let guard = Guard::new(false, &["127.0.0.1:8080".into(), "intranet.local".into()]);
        let url = |u: &str| Url::parse(u).unwrap();
        assert!(guard.check_url(&url("http://127.0.0.1:8080/feed")).is_ok(), "allowed host and port");
        let refused = guard.check_url(&url("http://127.0.0.1:9090/feed")).unwrap_err().to_string();
        assert!(refused.contains("loopback"), "{refused}");
        assert!(guard.check_url(&url("http://[::ffff:127.0.0.1]/")).is_err());
        assert!(guard.check_url(&url("http://169.254.169.254/latest/meta-data/")).is_err());
        assert!(guard.check_url(&url("http://example.org/")).is_ok(), "names are checked when resolved");
        let ten = SocketAddr::from(([10, 0, 0, 1], 80));
        assert!(guard.filter("evil.example", vec![ten]).unwrap_err().to_string().contains("10.0.0.1"));
        assert_eq!(guard.filter("intranet.local", vec![ten]).unwrap(), [ten]);
        let public = SocketAddr::from(([93, 184, 215, 14], 80));
        assert_eq!(
            guard.filter("mixed.example", vec![ten, public]).unwrap(),
            [public],
            "only checked addresses are used"
        );
        assert!(Guard::new(true, &[]).check_url(&url("http://10.1.2.3/")).is_ok());
    }
}
