//! Session stores: where a client keeps its session so that a program
//! killed at any instant and started again resumes it, losing no message
//! and delivering none twice.
//!
//! The engine says what must be kept ([`mqtt_session::durable`]); a store
//! keeps it. Two come with the crate: [`MemoryStore`], which outlives a
//! client but not the process (tests, and a client rebuilt in the same
//! program), and [`FileStore`], a crash-safe append-only log with
//! checksums and compaction, for real use. Anything else (SQLite, a key
//! value store) implements [`SessionStore`].
//!
//! # What a client does with its store
//!
//! - At start it loads what is stored and resumes it.
//! - `publish` of a QoS 1/2 message appends the message before it returns:
//!   an append survives the program being killed. If it fails, `publish`
//!   returns the error instead of a handle, and nothing is sent.
//! - Everything else the engine reports is appended as it happens, except
//!   that an inbound QoS 2 message is recorded once its `on_message`
//!   callback returned, so that a kill during the callback brings the
//!   message again rather than losing it.
//! - Before any bytes are written to the network, the store is synced:
//!   one sync for everything appended since the last one (group commit),
//!   so that what the broker hears of is durable even across a power loss.
//!
//! # The guarantee, exactly
//!
//! With a store and clean session off, a client killed at any instant and
//! restarted on the same store loses no QoS 1 or QoS 2 message it accepted
//! (`publish` returned a handle) or that the broker sent, and a QoS 2
//! message reaches the broker's subscribers exactly once. A QoS 2 message
//! from the broker reaches the application once, except that a kill while
//! its `on_message` runs (or after it returned, before the client stored
//! that it did) brings it once more: at most one message per kill, the one
//! whose callback was running. In manual-ack mode the window is the
//! application's own: a message comes again until it is acknowledged, so
//! an application that acknowledges once its own processing is committed
//! (and can tell a message it already committed) closes it. QoS 0 is not
//! stored.

mod file;
mod memory;

pub use file::FileStore;
pub use memory::MemoryStore;

use mqtt_session::durable::StateDecodeError;
use mqtt_session::{DurableState, StoreOp, WallClock};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A store shared by the options that chose it and the client using it.
pub type SharedStore = Arc<Mutex<dyn SessionStore>>;

/// Where [`crate::ClientOptions`] keep the session.
#[derive(Clone, Default)]
pub enum StoreChoice {
    /// In memory only: a restarted program starts afresh.
    #[default]
    None,
    /// A [`FileStore`] in this directory, opened when the client is made.
    Dir(PathBuf),
    /// A store of the application's own.
    Custom(SharedStore),
}

impl std::fmt::Debug for StoreChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Dir(dir) => f.debug_tuple("Dir").field(dir).finish(),
            Self::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

impl StoreChoice {
    /// The store to use, opened (a directory is checked and created now).
    pub fn open(&self) -> Result<Option<SharedStore>, StoreError> {
        Ok(match self {
            Self::None => None,
            Self::Dir(dir) => Some(Arc::new(Mutex::new(FileStore::new(dir.clone())?))),
            Self::Custom(store) => Some(store.clone()),
        })
    }
}

/// Keeps one client's session. The client calls it from one thread at a time.
pub trait SessionStore: Send {
    /// What is stored for `client_id`, or `None` when nothing is. A store
    /// holding another client's session refuses with
    /// [`StoreError::ClientIdMismatch`].
    fn load(&mut self, client_id: &str) -> Result<Option<DurableState>, StoreError>;

    /// What is stored for `client_id` now, for a client that takes over
    /// from the one that loaded it through this same store (a client
    /// reinitialised on its own session), whose appends it includes. The
    /// first client is gone by then, so a store that refuses a second
    /// client of one session ([`StoreError::InUse`]) lets this one in.
    /// By default, [`SessionStore::load`].
    fn reload(&mut self, client_id: &str) -> Result<Option<DurableState>, StoreError> {
        self.load(client_id)
    }

    /// Appends operations, in order. When it returns they must survive the
    /// program being killed (a write to a file is enough; the data is in
    /// the operating system's hands). On error nothing of the batch may
    /// count as stored.
    fn append(&mut self, ops: &[StoreOp], clock: WallClock) -> Result<(), StoreError>;

    /// Makes everything appended so far durable across a power loss (for a
    /// file: `fdatasync`). Called once before bytes go to the network,
    /// whatever number of appends came before.
    fn sync(&mut self) -> Result<(), StoreError>;
}

/// Why a store could not load or keep a session. Every variant names the
/// store's file or directory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading or writing failed (a full disk, a file-size limit, a
    /// permission).
    #[error("session store {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is not a session store, or its content is damaged where it
    /// cannot be cut off (the header, or a record whose checksum holds but
    /// which does not decode).
    #[error("session store {path} is damaged at byte {offset}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Where.
        offset: u64,
        /// What was wrong.
        reason: String,
    },
    /// Written by a later release in a format this one cannot read.
    #[error(
        "session store {path} has format {found}, newer than this release reads ({supported})"
    )]
    NewerFormat {
        /// The file.
        path: PathBuf,
        /// The format version found.
        found: u16,
        /// The newest this release reads.
        supported: u16,
    },
    /// The store holds another client's session.
    #[error("session store {path} belongs to client id {stored:?}, not {configured:?}")]
    ClientIdMismatch {
        /// The file.
        path: PathBuf,
        /// The client id it was written for.
        stored: String,
        /// The client id configured now.
        configured: String,
    },
    /// The store holds secrets (payloads, a will, perhaps credentials in
    /// payloads) and another user could change it.
    #[error("session store {path} is refused: {reason} (mode {mode:o}); it must be private to its owner")]
    NotPrivate {
        /// The directory or file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
        /// What is wrong.
        reason: &'static str,
    },
    /// Another process (or client) has the store open.
    #[error("session store {path} is in use by another client")]
    InUse {
        /// The file.
        path: PathBuf,
    },
    /// A store of the application's own failed.
    #[error("session store: {0}")]
    Other(String),
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn corrupt(path: impl Into<PathBuf>, offset: u64, reason: impl ToString) -> Self {
        Self::Corrupt {
            path: path.into(),
            offset,
            reason: reason.to_string(),
        }
    }

    pub(crate) fn decode(path: impl Into<PathBuf>, offset: u64, e: StateDecodeError) -> Self {
        match e {
            StateDecodeError::UnknownVersion { found } => Self::NewerFormat {
                path: path.into(),
                found,
                supported: mqtt_session::durable::FORMAT_VERSION,
            },
            other => Self::corrupt(path, offset, other),
        }
    }
}
