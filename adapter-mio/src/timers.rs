//! One timer structure for every client of a driver: a min-heap of
//! deadlines with lazy deletion, so rescheduling is O(log n) and nothing
//! scans all clients.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// Deadlines of many clients, earliest first.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, usize)>>,
}

impl Timers {
    /// Schedules `slot` at `at`. Earlier entries of the slot stay in the heap
    /// and are skipped when they no longer match the slot's deadline.
    pub fn schedule(&mut self, at: Instant, slot: usize) {
        self.heap.push(Reverse((at, slot)));
    }

    /// The earliest scheduled deadline (possibly stale).
    pub fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Pops every entry due at `now`.
    pub fn pop_due(&mut self, now: Instant, mut f: impl FnMut(Instant, usize)) {
        while let Some(&Reverse((at, slot))) = self.heap.peek() {
            if at > now {
                break;
            }
            self.heap.pop();
            f(at, slot);
        }
    }

    /// Entries held, stale ones included.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Drops stale entries when they dominate, keeping memory proportional to clients.
    pub fn compact(&mut self, live: impl Fn(Instant, usize) -> bool) {
        let entries = std::mem::take(&mut self.heap).into_vec();
        self.heap = entries
            .into_iter()
            .filter(|Reverse((at, slot))| live(*at, *slot))
            .collect();
    }
}
