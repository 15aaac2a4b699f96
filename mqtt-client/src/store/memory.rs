//! A store in memory: it outlives a client, not the process.

use super::{SessionStore, StoreError};
use mqtt_session::{DurableState, StoreOp, WallClock};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Sessions kept in memory, by client id. Clones share them, so a client
/// built again with a clone resumes where the last one stopped, as a
/// restarted program would with a [`super::FileStore`].
///
/// ```
/// use mqtt_client::store::{MemoryStore, SessionStore};
/// let store = MemoryStore::new();
/// let mut for_client = store.clone();
/// assert!(for_client.load("sensor-1").unwrap().is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    /// The sessions, and the client id the current user of this handle loaded.
    /// One lock: a handle is used by one client at a time.
    inner: Arc<Mutex<HashMap<String, DurableState>>>,
    client_id: Option<String>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// What is stored for `client_id` now (for tests and inspection).
    pub fn get(&self, client_id: &str) -> Option<DurableState> {
        self.sessions().get(client_id).cloned()
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, DurableState>> {
        // A panic elsewhere while holding the lock leaves consistent data:
        // every operation is applied whole.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl SessionStore for MemoryStore {
    fn load(&mut self, client_id: &str) -> Result<Option<DurableState>, StoreError> {
        self.client_id = Some(client_id.to_string());
        Ok(self.sessions().get(client_id).cloned())
    }

    fn append(&mut self, ops: &[StoreOp], clock: WallClock) -> Result<(), StoreError> {
        let client_id = self
            .client_id
            .clone()
            .ok_or_else(|| StoreError::Other("append before load".into()))?;
        let mut sessions = self.sessions();
        let state = sessions
            .entry(client_id.clone())
            .or_insert_with(|| DurableState::new(client_id));
        for op in ops {
            state.apply(op, clock);
        }
        Ok(())
    }

    fn sync(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}
