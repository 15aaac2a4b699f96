//! Whether a client wants a connection, and when to try the next one.

use crate::backoff::Backoff;
use core::time::Duration;
use std::time::Instant;

/// The connect / reconnect policy: wanted or not, the next attempt's time,
/// the backoff, and whether the very first connection is retried.
#[derive(Debug, Clone)]
pub(crate) struct Reconnect {
    /// `connect` or `connect_async` was called and `disconnect` was not.
    pub wanted: bool,
    /// When to open the next transport, while none is open.
    pub at: Option<Instant>,
    backoff: Backoff,
    /// Whether a failure to open the very first connection is retried
    /// (Paho's `retry_first_connection`).
    pub retry_first: bool,
    /// A connection was accepted at least once.
    pub ever_connected: bool,
}

impl Reconnect {
    pub fn new(min: Duration, max: Duration, retry_first: bool) -> Self {
        Self {
            wanted: false,
            at: None,
            backoff: Backoff::new(min, max),
            retry_first,
            ever_connected: false,
        }
    }

    /// `connect_async`: wanted, and due now.
    pub fn request(&mut self, now: Instant) {
        self.wanted = true;
        self.at = Some(now);
    }

    /// `disconnect`: no longer wanted.
    pub fn cancel(&mut self) {
        self.wanted = false;
        self.at = None;
    }

    /// A CONNACK accepted a connection.
    pub fn connected(&mut self) {
        self.backoff.reset();
        self.ever_connected = true;
        self.at = None;
    }

    /// A connection ended or could not be opened: the next try comes after
    /// the backoff, if one is still wanted. `opening_failed` tells a
    /// transport that never opened, which ends the wish when the first
    /// connection is not retried.
    pub fn lost(&mut self, now: Instant, opening_failed: bool) {
        if opening_failed && !self.retry_first && !self.ever_connected {
            return self.cancel();
        }
        if self.wanted {
            self.at = Some(now + self.backoff.next_delay());
        }
    }

    /// Whether a new transport should be opened now.
    pub fn due(&self, now: Instant) -> bool {
        self.wanted && self.at.is_some_and(|t| t <= now)
    }
}
