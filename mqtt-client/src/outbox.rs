//! The bytes an adapter took from its core and its socket has not
//! accepted yet: they go out before anything taken later.

use bytes::Bytes;
use std::io::{self, Write};

/// Bytes taken from [`crate::ClientCore::take_transmit`] waiting for a
/// non-blocking socket. Every adapter keeps one per transport.
#[derive(Debug, Default)]
pub struct Outbox {
    unsent: Bytes,
}

/// What one [`Outbox::write_to`] did.
#[derive(Debug)]
pub struct Written {
    /// Bytes the socket accepted: report them to
    /// [`crate::ClientCore::transmitted`].
    pub bytes: usize,
    /// The error that stopped the writing, if any (not `WouldBlock`).
    pub error: Option<io::Error>,
}

impl Outbox {
    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.unsent.is_empty()
    }

    /// Queues `bytes` after what waits.
    pub fn push(&mut self, bytes: Bytes) {
        if self.unsent.is_empty() {
            self.unsent = bytes;
        } else {
            // Rare: the socket was full and more came meanwhile.
            let mut joined = Vec::with_capacity(self.unsent.len() + bytes.len());
            joined.extend_from_slice(&self.unsent);
            joined.extend_from_slice(&bytes);
            self.unsent = joined.into();
        }
    }

    /// Writes until everything is written, the socket is full (a short
    /// write or `WouldBlock`: writability is reported when it drains), or
    /// a write fails.
    pub fn write_to(&mut self, socket: &mut impl Write) -> Written {
        let mut bytes = 0;
        while !self.unsent.is_empty() {
            match socket.write(&self.unsent) {
                Ok(0) => {
                    return Written {
                        bytes,
                        error: Some(io::ErrorKind::WriteZero.into()),
                    }
                }
                Ok(n) => {
                    bytes += n;
                    let short = n < self.unsent.len();
                    let _ = self.unsent.split_to(n);
                    if short {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Written {
                        bytes,
                        error: Some(e),
                    }
                }
            }
        }
        Written { bytes, error: None }
    }

    /// Drops what waits (the transport is gone).
    pub fn clear(&mut self) {
        self.unsent = Bytes::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A socket that takes at most `room` bytes, then would block.
    struct Full {
        room: usize,
        got: Vec<u8>,
    }

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            self.got.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn what_the_socket_did_not_take_goes_out_first_next_time() {
        let mut outbox = Outbox::default();
        let mut socket = Full {
            room: 3,
            got: Vec::new(),
        };
        outbox.push(Bytes::from_static(b"abcde"));
        let w = outbox.write_to(&mut socket);
        assert_eq!((w.bytes, w.error.is_none()), (3, true));
        outbox.push(Bytes::from_static(b"fg"));
        socket.room = 10;
        let w = outbox.write_to(&mut socket);
        assert_eq!(w.bytes, 4);
        assert_eq!(socket.got, b"abcdefg");
        assert!(outbox.is_empty());
    }
}
