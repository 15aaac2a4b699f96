//! Handles to published messages (Paho's `MQTTMessageInfo`) and the
//! completions behind them.
//!
//! A [`Completion`] is where a message's outcome lands; [`Completions`]
//! maps message ids to the completions handles wait on, and the
//! [`crate::ClientCore`] settles them from the engine's events. A handle
//! waits through its adapter (a [`Network`]) when it has one, so that a
//! thread can drive the network while it waits; otherwise on the
//! completion's own condition variable.

use crate::callbacks::PublishOutcome;
use crate::mid::Mid;
use mqtt_proto::PacketId;
use mqtt_session::{Event, MessageId};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Duration;

/// What a message handle needs from the adapter that made it.
pub trait Network: Send + Sync {
    /// The packet identifier of message `id`, while it is in flight.
    fn packet_id_of(&self, id: MessageId) -> Option<PacketId>;

    /// Waits until `completion` has an outcome or `timeout` passes (`None`:
    /// no limit), driving the network meanwhile if no other thread does.
    fn wait_for(&self, completion: &Completion, timeout: Option<Duration>);
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
    /// Threads waiting on `done`: most messages complete with nobody
    /// waiting, and then no wake-up (a system call) is made.
    waiters: usize,
}

impl Completion {
    fn lock(&self) -> MutexGuard<'_, CompletionState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records the outcome and wakes the threads waiting on this completion.
    pub fn complete(&self, packet_id: Option<PacketId>, outcome: PublishOutcome) {
        let mut state = self.lock();
        if packet_id.is_some() {
            state.packet_id = packet_id;
        }
        state.outcome = Some(outcome);
        if state.waiters > 0 {
            self.done.notify_all();
        }
    }

    /// The outcome, once there is one.
    pub fn outcome(&self) -> Option<PublishOutcome> {
        self.lock().outcome.clone()
    }

    /// Whether there is an outcome.
    pub fn is_done(&self) -> bool {
        self.lock().outcome.is_some()
    }

    /// Waits on this completion alone, at most `timeout` (`None`: no
    /// limit), for a thread that cannot drive the network.
    pub fn wait(&self, timeout: Option<Duration>) {
        let mut state = self.lock();
        state.waiters += 1;
        state = match timeout {
            None => self
                .done
                .wait_while(state, |s| s.outcome.is_none())
                .unwrap_or_else(|e| e.into_inner()),
            Some(t) => {
                self.done
                    .wait_timeout_while(state, t, |s| s.outcome.is_none())
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
        };
        state.waiters -= 1;
    }
}

/// A message accepted by `publish`: its mid, its packet identifier once
/// sent, and a way to wait for its outcome (Paho's `MQTTMessageInfo`:
/// `mid`, `wait_for_publish`, `is_published`; Paho's `rc` is the
/// `Result` of `publish` itself).
#[derive(Clone)]
#[doc(alias = "MQTTMessageInfo")]
pub struct MessageHandle {
    id: MessageId,
    completion: Arc<Completion>,
    network: Option<Weak<dyn Network>>,
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
    /// A handle for message `id` completing through `completion`; it waits
    /// through `network` while that still exists.
    pub fn new(
        id: MessageId,
        completion: Arc<Completion>,
        network: Option<Weak<dyn Network>>,
    ) -> Self {
        Self {
            id,
            completion,
            network,
        }
    }

    /// The engine's id of this message (for `withdraw`, session state).
    pub fn id(&self) -> MessageId {
        self.id
    }

    /// Paho's `MQTTMessageInfo.mid`: the mid on_publish reports for this
    /// message, QoS 0 included, carrying the packet identifier once the
    /// message was sent with one (see [`Mid`]).
    pub fn mid(&self) -> Mid {
        Mid::from(self.id).with_packet_id(self.packet_id())
    }

    /// The packet identifier (QoS 1/2) once the message has been sent.
    pub fn packet_id(&self) -> Option<PacketId> {
        let known = self.completion.lock().packet_id;
        known.or_else(|| {
            self.network
                .as_ref()
                .and_then(Weak::upgrade)
                .and_then(|n| n.packet_id_of(self.id))
        })
    }

    /// Whether the message is done (delivered or failed).
    pub fn is_published(&self) -> bool {
        self.completion.is_done()
    }

    /// The outcome, if the message is done.
    pub fn outcome(&self) -> Option<PublishOutcome> {
        self.completion.outcome()
    }

    /// Waits until the message is done or `timeout` passes (`None`: no
    /// limit); returns the outcome, `None` on timeout.
    ///
    /// With the blocking client this drives the network itself when no
    /// loop runs; inside a callback it reads on, so it never waits for
    /// itself. A handle of an event-loop client (adapter-mio) cannot drive
    /// its loop: there, poll [`MessageHandle::is_published`] or use
    /// on_publish instead of waiting on the loop's own thread.
    pub fn wait_for_publish(&self, timeout: Option<Duration>) -> Option<PublishOutcome> {
        if !self.completion.is_done() {
            match self.network.as_ref().and_then(Weak::upgrade) {
                Some(network) => network.wait_for(&self.completion, timeout),
                None => self.completion.wait(timeout),
            }
        }
        self.completion.outcome()
    }
}

/// The messages whose handles wait for an outcome, keyed by message id.
#[derive(Debug, Default)]
pub struct Completions {
    waiting: HashMap<MessageId, Arc<Completion>, BuildHasherDefault<IdHasher>>,
}

/// Message ids are a counter, so a multiplicative hash spreads them well:
/// no need for SipHash's cost (its keys defend against chosen inputs, and
/// these are ours).
#[derive(Debug, Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A completion decided by an event, to be delivered once no lock is held.
#[derive(Debug)]
pub struct Settled {
    completion: Arc<Completion>,
    packet_id: Option<PacketId>,
    outcome: PublishOutcome,
}

impl Settled {
    /// Records the outcome and wakes the threads waiting on the completion.
    pub fn deliver(self) {
        self.completion.complete(self.packet_id, self.outcome);
    }
}

impl Completions {
    /// Whether no handle waits.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Starts waiting for message `id`, whose handle holds `completion`.
    pub fn track(&mut self, id: MessageId, completion: Arc<Completion>) {
        self.waiting.insert(id, completion);
    }

    /// Stops waiting for message `id`: its completion, to track elsewhere.
    pub fn take(&mut self, id: MessageId) -> Option<Arc<Completion>> {
        self.waiting.remove(&id)
    }

    /// The completion `event` decides, if any.
    pub fn settle(&mut self, event: &Event) -> Option<Settled> {
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

    /// Every completion still waiting, failed with `failure` (the session
    /// they belonged to is gone).
    pub fn abandon_all(&mut self, failure: mqtt_session::PublishFailure) -> Vec<Settled> {
        self.waiting
            .drain()
            .map(|(_, completion)| Settled {
                completion,
                packet_id: None,
                outcome: PublishOutcome::Failed(failure.clone()),
            })
            .collect()
    }

    /// Frees the map's memory when no handle waits (an idle client of many).
    pub fn shrink(&mut self) {
        if self.waiting.is_empty() && self.waiting.capacity() > 0 {
            self.waiting = HashMap::default();
        }
    }
}
