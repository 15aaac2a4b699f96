//! Numbered messages for tests that must show nothing was lost.

use mqtt_proto::QoS;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Counts arrivals of numbered messages: message `n` carries `n` as four
/// big-endian bytes and goes at QoS 1 when even, QoS 2 when odd, so one
/// run checks both: every number arrives, and a QoS 2 one exactly once.
///
/// Clones share the counts, so one goes into the subscriber's callback.
#[derive(Debug, Clone, Default)]
pub struct NumberedMessages {
    arrivals: Arc<Mutex<HashMap<u32, usize>>>,
}

impl NumberedMessages {
    /// No arrival yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The QoS message `n` is published at.
    pub fn qos(n: u32) -> QoS {
        if n.is_multiple_of(2) {
            QoS::AtLeastOnce
        } else {
            QoS::ExactlyOnce
        }
    }

    /// The payload of message `n`.
    pub fn payload(n: u32) -> Vec<u8> {
        n.to_be_bytes().to_vec()
    }

    /// Counts an arrival (a payload from [`NumberedMessages::payload`]).
    pub fn arrived(&self, payload: &[u8]) {
        let n = u32::from_be_bytes(payload[..4].try_into().expect("a numbered payload"));
        *self.lock().entry(n).or_default() += 1;
    }

    /// Waits until messages `0..count` all arrived, or `limit` passed.
    pub fn wait_for(&self, count: u32, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.missing(count).next().is_some() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Panics, naming `what`, unless messages `0..count` all arrived and
    /// each QoS 2 one exactly once.
    pub fn assert_complete(&self, count: u32, what: &str) {
        let missing: Vec<u32> = self.missing(count).collect();
        assert!(
            missing.is_empty(),
            "{what}: {} missing, first {:?}",
            missing.len(),
            &missing[..missing.len().min(10)]
        );
        for (&n, &times) in self.lock().iter() {
            if Self::qos(n) == QoS::ExactlyOnce {
                assert_eq!(times, 1, "{what}: QoS 2 message {n} arrived {times} times");
            }
        }
    }

    fn missing(&self, count: u32) -> impl Iterator<Item = u32> {
        let arrivals = self.lock().clone();
        (0..count).filter(move |n| !arrivals.contains_key(n))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, usize>> {
        self.arrivals.lock().unwrap_or_else(|e| e.into_inner())
    }
}
