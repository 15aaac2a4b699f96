//! A client's session store, driven by the core: the engine's operations
//! appended as they come, an inbound QoS 2 identifier only once the
//! callback for its message returned, one sync before bytes go out. The
//! contract is [`mqtt_session::durable`]'s; the guarantee is in
//! [`crate::store`].
//!
//! While the callback of a received QoS 1 or 2 message has not returned,
//! no byte leaves: its PUBACK or PUBREC would tell the broker the message
//! is taken care of, and a kill before the callback ran would lose it.

use crate::store::{SharedStore, StoreError};
use mqtt_proto::PacketId;
use mqtt_session::{DurableState, Session, StoreOp, WallClock};
use std::sync::MutexGuard;
use std::time::Instant;

/// One client's store, and what waits to be stored.
pub(crate) struct Persistence {
    store: SharedStore,
    /// The client id the session was loaded for.
    pub client_id: String,
    /// The directory, for a file store the options named by it.
    pub dir: Option<std::path::PathBuf>,
    /// Received QoS 1/2 messages whose callback has not returned: no byte
    /// leaves meanwhile.
    unreturned: Vec<PacketId>,
    /// Inbound QoS 2 identifiers whose operation waits for the callback of
    /// their message.
    held_ops: Vec<PacketId>,
    /// Appended since the last sync.
    unsynced: bool,
    ops: Vec<StoreOp>,
}

impl Persistence {
    /// Loads what `store` holds for `client_id`; with `take_over`, for a
    /// client taking over from the one that loaded it through this store
    /// ([`crate::store::SessionStore::reload`]).
    pub fn load(
        store: SharedStore,
        client_id: &str,
        take_over: bool,
    ) -> Result<(Self, Option<DurableState>), StoreError> {
        let stored = if take_over {
            lock(&store).reload(client_id)?
        } else {
            lock(&store).load(client_id)?
        };
        Ok((
            Self {
                store,
                client_id: client_id.to_string(),
                dir: None,
                unreturned: Vec::new(),
                held_ops: Vec::new(),
                unsynced: false,
                ops: Vec::new(),
            },
            stored,
        ))
    }

    /// Appends what the engine reported. An inbound QoS 2 identifier
    /// received with its message waits for the message's callback when
    /// `hold_inbound` (one acknowledged by the application later does not).
    pub fn take(
        &mut self,
        session: &mut Session,
        now: Instant,
        hold_inbound: bool,
    ) -> Result<(), StoreError> {
        while let Some(op) = session.poll_store_op() {
            match op {
                StoreOp::InboundReceived { packet_id } if hold_inbound => {
                    self.held_ops.push(packet_id)
                }
                op => self.ops.push(op),
            }
        }
        self.flush(now)
    }

    /// The store.
    pub fn store(&self) -> &SharedStore {
        &self.store
    }

    /// A QoS 1/2 message was received: its callback is to run.
    pub fn received(&mut self, packet_id: PacketId) {
        self.unreturned.push(packet_id);
    }

    /// The callback for message `packet_id` returned: a QoS 2 message now
    /// counts as received, and bytes may go out again.
    pub fn returned(&mut self, packet_id: PacketId) -> Result<(), StoreError> {
        if let Some(i) = self.unreturned.iter().position(|&p| p == packet_id) {
            self.unreturned.swap_remove(i);
        }
        if let Some(i) = self.held_ops.iter().position(|&p| p == packet_id) {
            self.held_ops.swap_remove(i);
            self.ops.push(StoreOp::InboundReceived { packet_id });
            return self.flush(Instant::now());
        }
        Ok(())
    }

    /// Whether bytes must wait for a callback.
    pub fn holds_bytes(&self) -> bool {
        !self.unreturned.is_empty()
    }

    /// Makes everything appended durable, once, before bytes go out.
    pub fn sync(&mut self) -> Result<(), StoreError> {
        if self.unsynced {
            lock(&self.store).sync()?;
            self.unsynced = false;
        }
        Ok(())
    }

    fn flush(&mut self, now: Instant) -> Result<(), StoreError> {
        if self.ops.is_empty() {
            return Ok(());
        }
        let result = lock(&self.store).append(&self.ops, WallClock::system(now));
        self.ops.clear();
        self.unsynced |= result.is_ok();
        result
    }
}

/// The store's lock: a panic elsewhere cannot leave it half-written, since
/// a store applies each batch whole or not at all.
fn lock(store: &SharedStore) -> MutexGuard<'_, dyn crate::store::SessionStore + 'static> {
    store.lock().unwrap_or_else(|e| e.into_inner())
}
