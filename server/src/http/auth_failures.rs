//! Failed sign-ins per client address: after `max_failures` (default [`MAX_FAILURES`]) bad or
//! expired tokens within [`WINDOW`], that address gets 429 `too_many_failed_attempts` (before any token lookup) until
//! the window ends, so tokens cannot be guessed at network speed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts allowed per address and window, by default (`kindling serve
/// --max-failed-auth`).
pub const MAX_FAILURES: u32 = 20;
/// The counting window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Addresses tracked at most (older windows are dropped first when full).
const MAX_TRACKED: usize = 100_000;

/// Failed attempts per address in the current window.
#[derive(Debug)]
pub struct FailedAuth {
    max_failures: u32,
    by_address: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Default for FailedAuth {
    fn default() -> Self {
        Self::new(MAX_FAILURES)
    }
}

impl FailedAuth {
    /// Allows `max_failures` failed attempts per address and window.
    pub fn new(max_failures: u32) -> Self {
        Self {
            max_failures: max_failures.max(1),
            by_address: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds to wait)` when `ip` has used up its attempts.
    pub fn blocked(&self, ip: IpAddr) -> Option<u64> {
        let map = self.by_address.lock().expect("not poisoned");
        let (start, n) = map.get(&ip)?;
        let left = WINDOW.checked_sub(start.elapsed())?;
        (*n >= self.max_failures).then_some(left.as_secs().max(1))
    }

    /// Counts a failed attempt from `ip`.
    pub fn record(&self, ip: IpAddr) {
        let mut map = self.by_address.lock().expect("not poisoned");
        if map.len() >= MAX_TRACKED {
            map.retain(|_, (start, _)| start.elapsed() < WINDOW);
        }
        let entry = map.entry(ip).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_blocked_after_its_failures_and_others_are_not() {
        let f = FailedAuth::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..MAX_FAILURES - 1 {
            f.record(a);
        }
        assert_eq!(f.blocked(a), None);
        f.record(a);
        assert!(f.blocked(a).is_some_and(|s| (1..=60).contains(&s)));
        assert_eq!(f.blocked(b), None);
    }
}
