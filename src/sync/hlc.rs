//! A hybrid logical clock: wall-clock milliseconds plus a counter, so that every write a client
//! makes after seeing a change orders after that change even when clocks disagree.

use serde::{Deserialize, Serialize};

/// A hybrid logical clock reading. Orders by wall time, then counter.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
                counter: self.counter.saturating_add(1),
            }
        }
    }

    /// The reading after receiving `remote` at wall time `now_ms`: later than both.
    pub fn receive(self, remote: Hlc, now_ms: u64) -> Hlc {
        let wall = self.wall.max(remote.wall).max(now_ms);
        // Saturating: a reading at the counter's maximum (a hostile or corrupt peer) must not
        // overflow; the server bounds counters far below it.
        let counter = if wall == self.wall && wall == remote.wall {
            self.counter.max(remote.counter).saturating_add(1)
        } else if wall == self.wall {
            self.counter.saturating_add(1)
        } else if wall == remote.wall {
            remote.counter.saturating_add(1)
        } else {
            0
        };
        Hlc { wall, counter }
    }

    /// This reading as the server stores it: `wall` at most `now_ms + max_skew_ms` (a clock far
    /// ahead must not win every later write, nor exceed what JSON numbers hold exactly) and
    /// `counter` at most `max_counter`. The label itself is kept either way.
    pub fn bounded(self, now_ms: u64, max_skew_ms: u64, max_counter: u32) -> Hlc {
        let latest = now_ms.saturating_add(max_skew_ms);
        if self.wall > latest {
            Hlc {
                wall: latest,
                counter: 0,
            }
        } else {
            Hlc {
                wall: self.wall,
                counter: self.counter.min(max_counter),
            }
        }
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
    fn a_remote_counter_at_its_maximum_does_not_overflow() {
        let local = Hlc {
            wall: 5,
            counter: 0,
        };
        let remote = Hlc {
            wall: 5,
            counter: u32::MAX,
        };
        assert_eq!(local.receive(remote, 1).counter, u32::MAX);
        assert_eq!(remote.tick(1).counter, u32::MAX);
    }

    #[test]
    fn bounded_clamps_a_clock_far_ahead_and_a_huge_counter() {
        let far = Hlc {
            wall: u64::MAX,
            counter: 9,
        };
        assert_eq!(
            far.bounded(1_000, 500, 10),
            Hlc {
                wall: 1_500,
                counter: 0
            }
        );
        let busy = Hlc {
            wall: 1_200,
            counter: u32::MAX,
        };
        assert_eq!(busy.bounded(1_000, 500, 10).counter, 10);
        let fine = Hlc {
            wall: 900,
            counter: 3,
        };
        assert_eq!(fine.bounded(1_000, 500, 10), fine);
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
