//! Clients not signed in yet, counted per address (an IPv6 client by its /64, as the throttle
//! counts it): a WebSocket or a link takes a [`SignInSlot`] before the server takes it on, and
//! gives it back once it has signed in or closed. One address therefore cannot hold every
//! client slot of `max_connections` with connections that never sign in, renewed every
//! `auth_timeout_secs`; a site behind one NAT address gets `unauthenticated_per_address` at once,
//! far more than sign in at the same moment (a sign-in takes milliseconds).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use super::throttle::address_key;

/// The clients of each address that have not signed in.
pub struct Unsigned {
    per_address: u32,
    counts: Mutex<HashMap<IpAddr, u32>>,
}

impl Unsigned {
    pub fn new(per_address: u32) -> Arc<Unsigned> {
        Arc::new(Unsigned {
            per_address,
            counts: Mutex::new(HashMap::new()),
        })
    }

    /// A place for one more client from `address` to sign in, or `None` when the address has
    /// `unauthenticated_per_address` of them already.
    pub fn take(self: &Arc<Self>, address: IpAddr) -> Option<SignInSlot> {
        let address = address_key(address);
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(address).or_default();
        if *count >= self.per_address {
            return None;
        }
        *count += 1;
        Some(SignInSlot {
            unsigned: self.clone(),
            address,
        })
    }

    /// Clients of `address` that have not signed in.
    #[cfg(test)]
    fn count(&self, address: IpAddr) -> u32 {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.get(&address_key(address)).copied().unwrap_or(0)
    }
}

/// One client's place among its address's clients that have not signed in; given back when
/// dropped (at its sign-in, or when its connection ends).
pub struct SignInSlot {
    unsigned: Arc<Unsigned>,
    address: IpAddr,
}

impl Drop for SignInSlot {
    fn drop(&mut self) {
        let mut counts = self
            .unsigned
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_address_holds_so_many_unsigned_clients_and_gets_each_place_back() {
        let unsigned = Unsigned::new(3);
        let site = ip("192.0.2.1");
        let mut held: Vec<_> = (0..3).map(|_| unsigned.take(site).unwrap()).collect();
        assert!(
            unsigned.take(site).is_none(),
            "a fourth from the address waits"
        );
        assert!(
            unsigned.take(ip("192.0.2.2")).is_some(),
            "another address is not affected"
        );
        held.pop();
        assert!(
            unsigned.take(site).is_some(),
            "a place given back is taken again"
        );
        drop(held);
        assert_eq!(unsigned.count(site), 0);
        assert!(
            unsigned.counts.lock().unwrap().is_empty(),
            "no entry is kept for none"
        );
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let unsigned = Unsigned::new(1);
        let _first = unsigned.take(ip("2001:db8:1:2::1")).unwrap();
        assert!(unsigned.take(ip("2001:db8:1:2::ffff")).is_none());
        assert!(unsigned.take(ip("2001:db8:1:3::1")).is_some());
    }
}
