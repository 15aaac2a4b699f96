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

/// A scripted 3.1.1 broker on a free loopback port for one client, which
/// answers each of its first `rounds` QoS 1 PUBLISHes (topic `t`) with
/// three packets in one write: the PUBACK, then a QoS 1 PUBLISH
/// (payload `1`) and a QoS 0 PUBLISH (payload `0`) on topic `r`. Several
/// packets in one read that are still a request and its answers, not a
/// stream (the batch window's tests). The thread ends after the client's
/// DISCONNECT; it panics on anything unexpected.
pub fn three_answer_broker(rounds: u16) -> (u16, std::thread::JoinHandle<()>) {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("its address").port();
    let broker = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("the client");
        s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        assert_eq!(read_packet(&mut s).0 >> 4, 1, "CONNECT");
        s.write_all(&[0x20, 0x02, 0x00, 0x00]).unwrap();
        let mut answered = 0u16;
        while answered < rounds {
            let (first, body) = read_packet(&mut s);
            match first >> 4 {
                3 => {
                    // The client's PUBLISH "t", QoS 1: its packet id.
                    let id = [body[3], body[4]];
                    answered += 1;
                    let mine = answered.to_be_bytes();
                    let mut out = vec![0x40, 0x02, id[0], id[1]];
                    out.extend_from_slice(&[0x32, 0x06, 0, 1, b'r', mine[0], mine[1], b'1']);
                    out.extend_from_slice(&[0x30, 0x04, 0, 1, b'r', b'0']);
                    s.write_all(&out).unwrap();
                }
                4 => {} // the client's PUBACK
                other => panic!("unexpected packet type {other}"),
            }
        }
        // The last PUBACK, then the DISCONNECT.
        while read_packet(&mut s).0 >> 4 != 14 {}
    });
    (port, broker)
}
