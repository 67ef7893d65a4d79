//! A hybrid logical clock: wall-clock milliseconds plus a counter, so that every write a client
//! makes after seeing a change orders after that change even when clocks disagree.

use serde::{Deserialize, Serialize};

/// A hybrid logical clock reading. Orders by wall time, then counter.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch (the largest seen).
    pub wall: u64,
    /// Tie-breaker for events within one millisecond.
    pub counter: u32,
}

impl Hlc {
    /// The next reading for a local event at wall time `now_ms`.
    pub fn tick(self, now_ms: u64) -> Hlc {
        if now_ms > self.wall {
            Hlc {
                wall: now_ms,
                counter: 0,
            }
        } else {
            Hlc {
                wall: self.wall,
                counter: self.counter + 1,
            }
        }
    }

    /// The reading after receiving `remote` at wall time `now_ms`: later than both.
    pub fn receive(self, remote: Hlc, now_ms: u64) -> Hlc {
        let wall = self.wall.max(remote.wall).max(now_ms);
        let counter = if wall == self.wall && wall == remote.wall {
            self.counter.max(remote.counter) + 1
        } else if wall == self.wall {
            self.counter + 1
        } else if wall == remote.wall {
            remote.counter + 1
        } else {
            0
        };
        Hlc { wall, counter }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_strictly_increasing_even_when_the_clock_goes_back() {
        let a = Hlc::default().tick(1000);
        let b = a.tick(999);
        let c = b.tick(1000);
        let d = c.tick(1001);
        assert!(a < b && b < c && c < d);
        assert_eq!(
            d,
            Hlc {
                wall: 1001,
                counter: 0
            }
        );
    }

    #[test]
    fn receive_orders_after_the_remote_reading() {
        let local = Hlc {
            wall: 10,
            counter: 3,
        };
        let remote = Hlc {
            wall: 50,
            counter: 7,
        };
        let after = local.receive(remote, 20);
        assert!(after > remote && after > local);
        assert_eq!(
            after,
            Hlc {
                wall: 50,
                counter: 8
            }
        );
        assert!(after.tick(20) > after);
    }
}
