//! Small fixtures the integration tests of several crates share: a
//! temporary directory removed at the end, a loopback port nothing listens
//! on, and a raw packet reader for scripted brokers.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// A directory under the system's temporary directory, named after the
/// test and the process (test binaries run in parallel), removed with
/// everything in it when dropped, even if a test made it read-only.
#[derive(Debug)]
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// The path, not created (a store creates its own directory, with its
    /// own permissions); anything left there by an earlier run is removed.
    pub fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("mqtt-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        Self(path)
    }

    /// [`TempDir::new`], created.
    pub fn created(name: &str) -> Self {
        let dir = Self::new(name);
        std::fs::create_dir_all(&dir.0)
            .unwrap_or_else(|e| panic!("creating {}: {e}", dir.0.display()));
        dir
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // A test may have made it unwritable (a store refusing it).
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o700));
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A loopback port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Reads one MQTT packet from a scripted broker's stream: its first byte
/// and its body. Panics (failing the test) on a read error or time-out.
pub fn read_packet(stream: &mut impl Read) -> (u8, Vec<u8>) {
    let mut byte = [0u8; 1];
    stream.read_exact(&mut byte).expect("a packet");
    let first = byte[0];
    let (mut len, mut shift) = (0usize, 0);
    loop {
        stream.read_exact(&mut byte).expect("remaining length");
        len |= usize::from(byte[0] & 0x7f) << shift;
        if byte[0] & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).expect("packet body");
    (first, body)
}
