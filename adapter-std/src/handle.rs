//! Handles to published messages (Paho's `MQTTMessageInfo`).

use crate::callbacks::PublishOutcome;
use mqtt_proto::PacketId;
use mqtt_session::MessageId;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

/// Finds the packet identifier a message is in flight with (implemented by
/// each adapter's client).
pub trait PacketIdLookup: Send + Sync {
    /// The packet identifier of message `id`, while it is in flight.
    fn packet_id_of(&self, id: MessageId) -> Option<PacketId>;
}

/// Where a message's outcome lands when its completion event arrives.
#[derive(Debug, Default)]
pub struct Completion {
    state: Mutex<CompletionState>,
    done: Condvar,
}

#[derive(Debug, Default)]
struct CompletionState {
    packet_id: Option<PacketId>,
    outcome: Option<PublishOutcome>,
    /// Threads in `wait_for_publish`: most messages complete with nobody
    /// waiting, and then no wake-up (a system call) is made.
    waiters: usize,
}

impl Completion {
    /// Records the outcome and wakes every waiter.
    pub fn complete(&self, packet_id: Option<PacketId>, outcome: PublishOutcome) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if packet_id.is_some() {
            state.packet_id = packet_id;
        }
        state.outcome = Some(outcome);
        if state.waiters > 0 {
            self.done.notify_all();
        }
    }
}

/// A message accepted by [`crate::Client::publish`]: its id, its packet
/// identifier once sent, and a way to wait for its outcome.
#[derive(Clone)]
pub struct MessageHandle {
    pub(crate) id: MessageId,
    pub(crate) completion: Arc<Completion>,
    pub(crate) lookup: Option<Weak<dyn PacketIdLookup>>,
}

impl std::fmt::Debug for MessageHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageHandle")
            .field("id", &self.id)
            .field("outcome", &self.outcome())
            .finish()
    }
}

impl MessageHandle {
    /// A handle for message `id` completing through `completion` (for adapters).
    pub fn new(
        id: MessageId,
        completion: Arc<Completion>,
        lookup: Option<Weak<dyn PacketIdLookup>>,
    ) -> Self {
        Self {
            id,
            completion,
            lookup,
        }
    }

    /// The id on_publish reports for this message.
    pub fn id(&self) -> MessageId {
        self.id
    }

    /// The packet identifier (QoS 1/2) once the message has been sent.
    pub fn packet_id(&self) -> Option<PacketId> {
        let known = self
            .completion
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .packet_id;
        known.or_else(|| {
            self.lookup
                .as_ref()
                .and_then(Weak::upgrade)
                .and_then(|c| c.packet_id_of(self.id))
        })
    }

    /// Whether the message is done (delivered or failed).
    pub fn is_published(&self) -> bool {
        self.outcome().is_some()
    }

    /// The outcome, if the message is done.
    pub fn outcome(&self) -> Option<PublishOutcome> {
        self.completion
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .outcome
            .clone()
    }

    /// Waits until the message is done or `timeout` passes (`None`: no
    /// limit). A network loop must be running (loop_start, loop_forever, or
    /// loop_once in another thread). Returns the outcome, `None` on timeout.
    pub fn wait_for_publish(&self, timeout: Option<Duration>) -> Option<PublishOutcome> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut state = self
            .completion
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(outcome) = &state.outcome {
                return Some(outcome.clone());
            }
            if crate::reader::holds_reading() {
                // Not while holding the lock: this starts a thread.
                drop(state);
                crate::reader::hand_over_reading();
                state = self
                    .completion
                    .state
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                continue;
            }
            state.waiters += 1;
            state = match deadline {
                None => self
                    .completion
                    .done
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        state.waiters -= 1;
                        return None;
                    }
                    self.completion
                        .done
                        .wait_timeout(state, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
            state.waiters -= 1;
        }
    }
}

/// The messages whose handles wait for an outcome, keyed by message id:
/// what every adapter does with Published / PublishFailed events.
#[derive(Debug, Default)]
pub struct Completions {
    waiting: std::collections::HashMap<MessageId, Arc<Completion>>,
}

/// A completion decided by an event, to be delivered once no lock is held.
#[derive(Debug)]
pub struct Settled {
    completion: Arc<Completion>,
    packet_id: Option<PacketId>,
    outcome: PublishOutcome,
}

impl Settled {
    /// Records the outcome and wakes the waiters.
    pub fn deliver(self) {
        self.completion.complete(self.packet_id, self.outcome);
    }
}

impl Completions {
    /// Whether no handle waits.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Starts waiting for message `id`; the returned completion goes into its handle.
    pub fn track(&mut self, id: MessageId) -> Arc<Completion> {
        let c = Arc::new(Completion::default());
        self.waiting.insert(id, c.clone());
        c
    }

    /// The completions `event` decides, if any.
    pub fn settle(&mut self, event: &mqtt_session::Event) -> Option<Settled> {
        use mqtt_session::Event;
        let (id, packet_id, outcome) = match event {
            Event::Published {
                id,
                packet_id,
                reason,
                properties,
                ..
            } => (
                id,
                *packet_id,
                PublishOutcome::Delivered {
                    reason: *reason,
                    properties: properties.clone(),
                },
            ),
            Event::PublishFailed { id, failure } => {
                (id, None, PublishOutcome::Failed(failure.clone()))
            }
            _ => return None,
        };
        self.waiting.remove(id).map(|completion| Settled {
            completion,
            packet_id,
            outcome,
        })
    }
}
