//! The file store: one append-only log per client id, with checksums, a
//! lock, and compaction into a snapshot.
//!
//! # Format (version 1)
//!
//! `<dir>/session-<client id, escaped>.mqss`:
//!
//! ```text
//! header:  "MQSL"  format: u16  client id length: u16  client id
//! records: length: u32  CRC-32 of the body: u32  body
//! body:    kind: u8 (1 snapshot, 2 operation)  then the bytes of
//!          DurableState::encode or StoreOp::encode
//! ```
//!
//! All integers are big-endian. A record is appended with one `write`;
//! a record cut short by a crash, or damaged, ends the log: loading keeps
//! the valid records before it and cuts the file there. When the log has
//! grown to four times its last compacted size (and at least 1 MiB), it is
//! rewritten as one snapshot into a new file that replaces it atomically
//! (write, sync, rename, sync the directory). `<name>.lock`, held for the
//! store's life, keeps a second client off the same session.
//!
//! # Why our own log, and not an embedded database
//!
//! The workload is a stream of small appends with one sync per batch, and
//! a read of everything at start: exactly a log. Measured on this machine
//! (Debian, ext4, `benches` e2e with the store, see docs/benchmarks.md), a
//! sync costs about 200 µs and dominates (`cargo bench --bench store`); a log writes each batch once,
//! where a B-tree store (redb) writes pages and a second copy for its own
//! crash safety. The code is short enough to read in one sitting, and its
//! failure modes (torn tail, full disk) are tested directly.

use super::{SessionStore, StoreError};
use mqtt_session::durable::FORMAT_VERSION;
use mqtt_session::{DurableState, StoreOp, WallClock};
use std::fs::{DirBuilder, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Instant;

const MAGIC: &[u8; 4] = b"MQSL";
const SNAPSHOT: u8 = 1;
const OPERATION: u8 = 2;
/// A log is compacted once it is this many times its last compacted size...
const GROWTH: u64 = 4;
/// ... and at least this large.
const COMPACT_FROM: u64 = 1 << 20;

/// Syncs made by every file store of this process (for benchmarks).
static SYNCS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A crash-safe session store in a directory: one append-only log per
/// client id with checksums, a lock and compaction (see [`crate::store`]
/// for what a client does with it).
///
/// ```no_run
/// use mqtt_client::store::{FileStore, SessionStore};
/// let mut store = FileStore::new("/var/lib/my-app/mqtt").unwrap();
/// let stored = store.load("sensor-1").unwrap(); // None the first time
/// ```
#[derive(Debug)]
pub struct FileStore {
    dir: PathBuf,
    open: Option<OpenLog>,
}

/// The log of one client id, open and locked.
#[derive(Debug)]
struct OpenLog {
    path: PathBuf,
    file: File,
    /// Held for the store's life; the lock is on it, not on the log, which
    /// compaction replaces.
    _lock: File,
    /// The operations so far, applied: compaction writes it out.
    state: DurableState,
    /// Length of the valid log.
    len: u64,
    /// Compact when `len` passes this.
    compact_above: u64,
    /// Appended since the last sync.
    unsynced: bool,
}

impl FileStore {
    /// A store in `dir`, created (readable and writable by its owner only)
    /// if missing. A directory another user can write to, or owned by
    /// another user, is refused: the store holds payloads and wills.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let dir = dir.into();
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| StoreError::io(&dir, e))?;
        let meta = std::fs::metadata(&dir).map_err(|e| StoreError::io(&dir, e))?;
        check_private(
            &dir,
            &meta,
            0o022,
            "the directory is writable by other users",
        )?;
        Ok(Self { dir, open: None })
    }

    /// How many syncs (`fdatasync`) the file stores of this process have
    /// made: with group commit, far fewer than the messages they kept.
    pub fn syncs_made() -> u64 {
        SYNCS.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The log file of `client_id` in this store.
    pub fn path_for(&self, client_id: &str) -> PathBuf {
        self.dir.join(file_name(client_id))
    }

    fn log(&mut self) -> Result<&mut OpenLog, StoreError> {
        self.open
            .as_mut()
            .ok_or_else(|| StoreError::Other("the store was used before load".into()))
    }
}

impl SessionStore for FileStore {
    fn reload(&mut self, client_id: &str) -> Result<Option<DurableState>, StoreError> {
        match self
            .open
            .as_ref()
            .filter(|l| l.state.client_id == client_id)
        {
            // What the log already open and locked holds, which a second
            // opening would find in use.
            Some(log) => {
                let header = 8 + client_id.len() as u64;
                Ok((log.len > header).then(|| log.state.clone()))
            }
            None => self.load(client_id),
        }
    }

    fn load(&mut self, client_id: &str) -> Result<Option<DurableState>, StoreError> {
        let path = self.path_for(client_id);
        let lock_path = path.with_extension("mqss.lock");
        let lock = private_file(&lock_path, false)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(StoreError::InUse { path }),
            Err(TryLockError::Error(e)) => return Err(StoreError::io(&lock_path, e)),
        }
        // A compaction that did not finish left this; the log is intact.
        let _ = std::fs::remove_file(path.with_extension("mqss.tmp"));
        let existed = path.exists();
        let mut file = private_file(&path, true)?;
        let (state, len, found) = if existed {
            read_log(&path, &mut file, client_id)?
        } else {
            let mut header = Vec::new();
            write_header(&mut header, client_id);
            file.write_all(&header)
                .and_then(|()| file.sync_all())
                .map_err(|e| StoreError::io(&path, e))?;
            sync_dir(&self.dir)?;
            (DurableState::new(client_id), header.len() as u64, false)
        };
        let loaded = found.then(|| state.clone());
        self.open = Some(OpenLog {
            path,
            file,
            _lock: lock,
            state,
            len,
            compact_above: (len * GROWTH).max(COMPACT_FROM),
            unsynced: false,
        });
        Ok(loaded)
    }

    fn append(&mut self, ops: &[StoreOp], clock: WallClock) -> Result<(), StoreError> {
        if ops.is_empty() {
            return Ok(());
        }
        let log = self.log()?;
        let mut buf = Vec::new();
        let mut body = Vec::new();
        for op in ops {
            body.clear();
            body.push(OPERATION);
            op.encode(clock, &mut body);
            put_record(&mut buf, &body);
        }
        if let Err(e) = log.file.write_all(&buf) {
            // Take back whatever part of the batch was written: none of it
            // counts, and the next append must follow a whole record.
            let _ = log.file.set_len(log.len);
            let _ = log.file.seek(SeekFrom::Start(log.len));
            return Err(StoreError::io(&log.path, e));
        }
        log.len += buf.len() as u64;
        log.unsynced = true;
        for op in ops {
            log.state.apply(op, clock);
        }
        Ok(())
    }

    fn sync(&mut self) -> Result<(), StoreError> {
        let dir = self.dir.clone();
        let log = self.log()?;
        if !log.unsynced {
            return Ok(());
        }
        log.file
            .sync_data()
            .map_err(|e| StoreError::io(&log.path, e))?;
        SYNCS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        log.unsynced = false;
        if log.len > log.compact_above {
            log.compact(&dir)?;
        }
        Ok(())
    }
}

impl OpenLog {
    /// Rewrites the log as one snapshot, replacing it atomically.
    fn compact(&mut self, dir: &Path) -> Result<(), StoreError> {
        let tmp = self.path.with_extension("mqss.tmp");
        let mut bytes = Vec::new();
        write_header(&mut bytes, &self.state.client_id);
        let mut body = vec![SNAPSHOT];
        self.state.encode(&mut body);
        put_record(&mut bytes, &body);
        let mut file = private_file(&tmp, true)?;
        file.set_len(0)
            .and_then(|()| file.write_all(&bytes))
            .and_then(|()| file.sync_all())
            .map_err(|e| StoreError::io(&tmp, e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| StoreError::io(&self.path, e))?;
        sync_dir(dir)?;
        self.file = file;
        self.len = bytes.len() as u64;
        self.compact_above = (self.len * GROWTH).max(COMPACT_FROM);
        Ok(())
    }
}

/// Reads a log: the state its valid records build, the valid length, and
/// whether it held anything. A torn or damaged tail is cut off.
fn read_log(
    path: &Path,
    file: &mut File,
    client_id: &str,
) -> Result<(DurableState, u64, bool), StoreError> {
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| StoreError::io(path, e))?;
    let header_len = read_header(path, &bytes, client_id)?;
    let clock = WallClock::system(Instant::now());
    let mut state = DurableState::new(client_id);
    let mut at = header_len;
    let mut found = false;
    while let Some(body) = next_record(&bytes, at) {
        let offset = at as u64;
        let (kind, rest) = body.split_first().expect("records are not empty");
        match *kind {
            SNAPSHOT => {
                state =
                    DurableState::decode(rest).map_err(|e| StoreError::decode(path, offset, e))?;
                if state.client_id != client_id {
                    return Err(StoreError::ClientIdMismatch {
                        path: path.into(),
                        stored: state.client_id,
                        configured: client_id.into(),
                    });
                }
            }
            OPERATION => {
                let op = StoreOp::decode(rest, clock)
                    .map_err(|e| StoreError::decode(path, offset, e))?;
                state.apply(&op, clock);
            }
            other => {
                return Err(StoreError::corrupt(
                    path,
                    offset,
                    format!("unknown record kind {other}"),
                ))
            }
        }
        found = true;
        at += 8 + body.len();
    }
    if at < bytes.len() {
        log::warn!(
            "session store {}: {} damaged or incomplete bytes at the end (a crash while \
             writing); kept the {} valid bytes before them",
            path.display(),
            bytes.len() - at,
            at
        );
        file.set_len(at as u64)
            .and_then(|()| file.sync_all())
            .map_err(|e| StoreError::io(path, e))?;
    }
    file.seek(SeekFrom::Start(at as u64))
        .map_err(|e| StoreError::io(path, e))?;
    Ok((state, at as u64, found))
}

/// The body of the record at `at`, if a whole one with a good checksum is there.
fn next_record(bytes: &[u8], at: usize) -> Option<&[u8]> {
    let head = bytes.get(at..at + 8)?;
    let len = u32::from_be_bytes(head[..4].try_into().unwrap()) as usize;
    let crc = u32::from_be_bytes(head[4..].try_into().unwrap());
    let body = bytes.get(at + 8..(at + 8).checked_add(len)?)?;
    (len > 0 && crc32fast::hash(body) == crc).then_some(body)
}

fn put_record(buf: &mut Vec<u8>, body: &[u8]) {
    buf.extend_from_slice(&(body.len() as u32).to_be_bytes());
    buf.extend_from_slice(&crc32fast::hash(body).to_be_bytes());
    buf.extend_from_slice(body);
}

fn write_header(buf: &mut Vec<u8>, client_id: &str) {
    buf.extend_from_slice(MAGIC);
    buf.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
    buf.extend_from_slice(&(client_id.len() as u16).to_be_bytes());
    buf.extend_from_slice(client_id.as_bytes());
}

/// Checks the header; its length.
fn read_header(path: &Path, bytes: &[u8], client_id: &str) -> Result<usize, StoreError> {
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        return Err(StoreError::corrupt(
            path,
            0,
            "not a session store (bad header)",
        ));
    }
    let found = u16::from_be_bytes([bytes[4], bytes[5]]);
    if found > FORMAT_VERSION || found == 0 {
        return Err(StoreError::NewerFormat {
            path: path.into(),
            found,
            supported: FORMAT_VERSION,
        });
    }
    let id_len = u16::from_be_bytes([bytes[6], bytes[7]]) as usize;
    let stored = bytes
        .get(8..8 + id_len)
        .ok_or_else(|| StoreError::corrupt(path, 8, "header cut short"))?;
    if stored != client_id.as_bytes() {
        return Err(StoreError::ClientIdMismatch {
            path: path.into(),
            stored: String::from_utf8_lossy(stored).into_owned(),
            configured: client_id.into(),
        });
    }
    Ok(8 + id_len)
}

/// Opens (creating with mode 0600) a file of the store, private to us.
fn private_file(path: &Path, read: bool) -> Result<File, StoreError> {
    let file = OpenOptions::new()
        .read(read)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| StoreError::io(path, e))?;
    let meta = file.metadata().map_err(|e| StoreError::io(path, e))?;
    check_private(path, &meta, 0, "")?;
    if meta.mode() & 0o077 != 0 {
        // Ours, but readable by others (copied in, say): tighten it.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| StoreError::io(path, e))?;
    }
    Ok(file)
}

/// Refuses what another user owns, or can write through `forbidden` bits.
fn check_private(
    path: &Path,
    meta: &std::fs::Metadata,
    forbidden: u32,
    reason: &'static str,
) -> Result<(), StoreError> {
    let mode = meta.mode() & 0o7777;
    if let Some(uid) = own_uid() {
        if meta.uid() != uid {
            return Err(StoreError::NotPrivate {
                path: path.into(),
                mode,
                reason: "it belongs to another user",
            });
        }
    }
    if mode & forbidden != 0 {
        return Err(StoreError::NotPrivate {
            path: path.into(),
            mode,
            reason,
        });
    }
    Ok(())
}

/// This process's user id: the owner of `/proc/self`.
fn own_uid() -> Option<u32> {
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

/// `session-<id>.mqss`, the id's bytes kept where they are safe in a file
/// name and written `%XX` elsewhere; a very long id is named by a hash
/// (the header still holds the whole id, and is checked).
fn file_name(client_id: &str) -> String {
    let mut name = String::from("session-");
    for b in client_id.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            name.push(b as char);
        } else {
            name.push_str(&format!("%{b:02X}"));
        }
    }
    if name.len() > 200 {
        // FNV-1a: stable across releases, unlike the standard hasher.
        let hash = client_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
        });
        name = format!("session-{}-{hash:016x}", &name[8..100]);
    }
    name + ".mqss"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_distinct() {
        assert_eq!(file_name("sensor-1"), "session-sensor-1.mqss");
        assert_eq!(file_name("a/b"), "session-a%2Fb.mqss");
        assert_eq!(file_name("../x"), "session-%2E%2E%2Fx.mqss");
        assert_eq!(file_name(""), "session-.mqss");
        let long = "x".repeat(300);
        let name = file_name(&long);
        assert!(name.len() < 130, "{name}");
        assert_ne!(name, file_name(&"x".repeat(301)));
    }
}
