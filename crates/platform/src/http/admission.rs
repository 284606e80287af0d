//! Who may open another live stream (the feed's, notifications'): at most so many per user, per
//! address and in all, so that one client cannot hold thousands of sockets. A [`Ticket`] holds
//! a place while its stream is open and gives it back when the stream is dropped, however it
//! ends. Refusals become 429 (the caller's own streams) or 503 (the process is full) answers.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
};

use uuid::Uuid;

use super::problem::ApiError;

/// How long a client refused for its own streams should wait: about as long as it takes one of
/// them to be closed.
const RETRY_BUSY_SECS: u64 = 10;
/// How long a client refused because the process is full should wait.
const RETRY_FULL_SECS: u64 = 30;

/// The limits, from the service's configuration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_user: usize,
    pub per_address: usize,
    pub total: usize,
}

/// Why a stream was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The user holds `limit` streams already.
    User(usize),
    /// The address (an IPv6 address's /64) holds `limit` streams already.
    Address(usize),
    /// The process holds `limit` streams, its cap.
    Full(usize),
}

impl From<Refused> for ApiError {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::User(limit) => ApiError::too_many_requests(RETRY_BUSY_SECS)
                .with_detail(format!("you have {limit} live streams open, the most allowed; close one first")),
            Refused::Address(limit) => ApiError::too_many_requests(RETRY_BUSY_SECS)
                .with_detail(format!("your address has {limit} live streams open, the most allowed")),
            Refused::Full(_) => {
                ApiError::unavailable("this server holds as many live streams as it may; try again later")
                    .with_retry_after(RETRY_FULL_SECS)
            }
        }
    }
}

#[derive(Default)]
struct Open {
    total: usize,
    per_user: HashMap<Uuid, usize>,
    per_address: HashMap<IpAddr, usize>,
}

/// The open streams of this process, counted.
pub struct Admission {
    limits: Limits,
    open: Mutex<Open>,
}

/// A place among the open streams, given back on drop.
pub struct Ticket {
    admission: Arc<Admission>,
    user: Option<Uuid>,
    address: Option<IpAddr>,
}

impl Admission {
    pub fn new(limits: Limits) -> Arc<Self> {
        Arc::new(Self { limits, open: Mutex::new(Open::default()) })
    }

    /// A place for a stream of `user` (if signed in) from `address` (if known), or why not.
    pub fn admit(self: &Arc<Self>, user: Option<Uuid>, address: Option<IpAddr>) -> Result<Ticket, Refused> {
        let address = address.map(super::client_ip::limit_key);
        let mut open = self.open.lock().expect("not poisoned");
        if open.total >= self.limits.total {
            return Err(Refused::Full(self.limits.total));
        }
        if let Some(user) = user
            && open.per_user.get(&user).copied().unwrap_or(0) >= self.limits.per_user
        {
            return Err(Refused::User(self.limits.per_user));
        }
        if let Some(address) = address
            && open.per_address.get(&address).copied().unwrap_or(0) >= self.limits.per_address
        {
            return Err(Refused::Address(self.limits.per_address));
        }
        open.total += 1;
        if let Some(user) = user {
            *open.per_user.entry(user).or_default() += 1;
        }
        if let Some(address) = address {
            *open.per_address.entry(address).or_default() += 1;
        }
        metrics::gauge!("riffle_live_streams_open").set(open.total as f64);
        Ok(Ticket { admission: Arc::clone(self), user, address })
    }

    /// How many streams are open.
    #[cfg(test)]
    fn open(&self) -> usize {
        self.open.lock().expect("not poisoned").total
    }
}

fn give_back<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, usize>, key: K) {
    if let Some(n) = counts.get_mut(&key) {
        *n -= 1;
        if *n == 0 {
            counts.remove(&key);
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut open = self.admission.open.lock().expect("not poisoned");
        open.total -= 1;
        metrics::gauge!("riffle_live_streams_open").set(open.total as f64);
        if let Some(user) = self.user {
            give_back(&mut open.per_user, user);
        }
        if let Some(address) = self.address {
            give_back(&mut open.per_address, address);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission() -> Arc<Admission> {
        Admission::new(Limits { per_user: 2, per_address: 3, total: 4 })
    }

    #[test]
    fn each_limit_holds_and_places_come_back_when_streams_close() {
        let admission = admission();
        let (ann, bob) = (Some(Uuid::from_u128(1)), Some(Uuid::from_u128(2)));
        let home: Option<IpAddr> = Some("192.0.2.1".parse().unwrap());
        let a1 = admission.admit(ann, home).unwrap();
        let _a2 = admission.admit(ann, home).unwrap();
        assert_eq!(admission.admit(ann, None).err(), Some(Refused::User(2)));
        let _b1 = admission.admit(bob, home).unwrap();
        assert_eq!(admission.admit(bob, home).err(), Some(Refused::Address(3)), "three from one address");
        let _anonymous = admission.admit(None, None).unwrap();
        assert_eq!(admission.admit(None, None).err(), Some(Refused::Full(4)));
        drop(a1);
        assert_eq!(admission.open(), 3);
        assert!(admission.admit(ann, None).is_ok(), "a closed stream gives its place back");
    }

    #[test]
    fn an_ipv6_network_counts_as_one_address() {
        let admission = admission();
        let tickets: Vec<Ticket> = ["2001:db8::1", "2001:db8::2", "2001:db8::ffff:1"]
            .iter()
            .map(|ip| admission.admit(None, Some(ip.parse().unwrap())).unwrap())
            .collect();
        assert_eq!(admission.admit(None, Some("2001:db8::3".parse().unwrap())).err(), Some(Refused::Address(3)));
        assert!(admission.admit(None, Some("2001:db8:0:1::1".parse().unwrap())).is_ok(), "another /64");
        drop(tickets);
    }
}
