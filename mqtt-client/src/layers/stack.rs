//! The layer interface and the stack that composes layers.

use std::io;

/// One protocol layer over a byte stream, driven by its caller: bytes in
/// from below, plaintext out above, and the reverse, with no I/O of its own.
///
/// Methods never block. `take_*` methods append to `out` (so one buffer
/// can collect the output of several calls) and leave the layer without
/// that output.
pub trait StreamLayer: Send {
    /// A short name for messages ("tls", "websocket", "stack").
    fn name(&self) -> &'static str;

    /// Feeds bytes received from below (the socket, or the layer under this one).
    fn read_wire(&mut self, wire: &[u8]) -> io::Result<()>;

    /// Tells the layer that the stream below ended. An error if that end is
    /// not an acceptable one (during a handshake, for example).
    fn read_eof(&mut self) -> io::Result<()>;

    /// Moves the plaintext decoded so far into `out`.
    fn take_plaintext(&mut self, out: &mut Vec<u8>);

    /// Queues plaintext to send; it is encoded at once, or kept until the
    /// handshake is done.
    fn write_plaintext(&mut self, data: &[u8]) -> io::Result<()>;

    /// Moves the bytes to send below (to the socket) into `out`.
    fn take_wire(&mut self, out: &mut Vec<u8>);

    /// Whether the layer's handshake is still running; plaintext written
    /// meanwhile is held back.
    fn is_handshaking(&self) -> bool;

    /// Whether [`StreamLayer::take_wire`] would give bytes.
    fn wants_write(&self) -> bool;

    /// Whether the peer closed the stream inside the protocol (TLS
    /// close_notify, WebSocket close frame): no plaintext follows.
    fn is_closed(&self) -> bool;

    /// Starts a graceful close: the close_notify or close frame comes out
    /// of [`StreamLayer::take_wire`]; later plaintext is refused.
    fn close(&mut self);
}

/// Layers one on another, ordered from the socket up: `[tls, websocket]`
/// is `wss://`. The stack is itself a [`StreamLayer`]: wire bytes in at
/// the bottom, plaintext out at the top, and everything an upper layer
/// emits (an HTTP request, a pong, a close frame) already passed down by
/// the time a call returns.
///
/// An empty stack passes bytes through unchanged (plain TCP).
pub struct Stack {
    layers: Vec<Box<dyn StreamLayer>>,
    /// Bytes between two layers, reused to avoid an allocation per call.
    scratch: Vec<u8>,
    /// The empty stack's plaintext in and wire out.
    passthrough_in: Vec<u8>,
    passthrough_out: Vec<u8>,
    eof: bool,
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.layers.iter().map(|l| l.name()).collect();
        f.debug_struct("Stack").field("layers", &names).finish()
    }
}

impl Stack {
    /// A stack of `layers`, bottom (next to the socket) first. What the
    /// layers send first (ClientHello, upgrade request) is ready in
    /// [`StreamLayer::take_wire`].
    pub fn new(layers: Vec<Box<dyn StreamLayer>>) -> io::Result<Self> {
        let mut stack = Self {
            layers,
            scratch: Vec::new(),
            passthrough_in: Vec::new(),
            passthrough_out: Vec::new(),
            eof: false,
        };
        stack.pump_down()?;
        Ok(stack)
    }

    /// The names of the layers, bottom first.
    pub fn layer_names(&self) -> Vec<&'static str> {
        self.layers.iter().map(|l| l.name()).collect()
    }

    /// The lowest layer still handshaking, for error messages.
    pub fn handshaking_layer(&self) -> Option<&'static str> {
        self.layers
            .iter()
            .find(|l| l.is_handshaking())
            .map(|l| l.name())
    }

    /// Passes what each layer emitted down to the layer below it, top
    /// first, so that bytes of an upper layer reach the bottom in one call.
    fn pump_down(&mut self) -> io::Result<()> {
        for i in (1..self.layers.len()).rev() {
            self.layers[i].take_wire(&mut self.scratch);
            if !self.scratch.is_empty() {
                let r = self.layers[i - 1].write_plaintext(&self.scratch);
                self.scratch.clear();
                r?;
            }
        }
        Ok(())
    }

    /// Passes each layer's plaintext up to the layer above it.
    fn pump_up(&mut self) -> io::Result<()> {
        for i in 0..self.layers.len().saturating_sub(1) {
            self.layers[i].take_plaintext(&mut self.scratch);
            if !self.scratch.is_empty() {
                let r = self.layers[i + 1].read_wire(&self.scratch);
                self.scratch.clear();
                r?;
            }
        }
        Ok(())
    }

    /// Passes down whatever the layers emitted, even after an error (a TLS
    /// alert or a close frame should still reach the peer), and returns
    /// the first error.
    fn then_pump_down(&mut self, result: io::Result<()>) -> io::Result<()> {
        let pumped = self.pump_down();
        result.and(pumped)
    }
}

impl StreamLayer for Stack {
    fn name(&self) -> &'static str {
        "stack"
    }

    fn read_wire(&mut self, wire: &[u8]) -> io::Result<()> {
        let Some(bottom) = self.layers.first_mut() else {
            self.passthrough_in.extend_from_slice(wire);
            return Ok(());
        };
        let r = bottom.read_wire(wire).and_then(|()| self.pump_up());
        self.then_pump_down(r)
    }

    fn read_eof(&mut self) -> io::Result<()> {
        self.eof = true;
        // The end reaches each layer once the layers below it gave up all
        // they had (a close frame decoded just before the TCP FIN).
        let mut r = Ok(());
        for i in 0..self.layers.len() {
            r = self.layers[i].read_eof();
            if r.is_err() {
                break;
            }
            if i + 1 < self.layers.len() {
                self.layers[i].take_plaintext(&mut self.scratch);
                if !self.scratch.is_empty() {
                    let fed = self.layers[i + 1].read_wire(&self.scratch);
                    self.scratch.clear();
                    if let Err(e) = fed {
                        r = Err(e);
                        break;
                    }
                }
            }
        }
        self.then_pump_down(r)
    }

    fn take_plaintext(&mut self, out: &mut Vec<u8>) {
        match self.layers.last_mut() {
            Some(top) => top.take_plaintext(out),
            None => out.append(&mut self.passthrough_in),
        }
    }

    fn write_plaintext(&mut self, data: &[u8]) -> io::Result<()> {
        let Some(top) = self.layers.last_mut() else {
            self.passthrough_out.extend_from_slice(data);
            return Ok(());
        };
        let r = top.write_plaintext(data);
        self.then_pump_down(r)
    }

    fn take_wire(&mut self, out: &mut Vec<u8>) {
        // Upper layers' output was passed down when it was made.
        match self.layers.first_mut() {
            Some(bottom) => bottom.take_wire(out),
            None => out.append(&mut self.passthrough_out),
        }
    }

    fn is_handshaking(&self) -> bool {
        self.layers.iter().any(|l| l.is_handshaking())
    }

    fn wants_write(&self) -> bool {
        match self.layers.first() {
            Some(bottom) => bottom.wants_write(),
            None => !self.passthrough_out.is_empty(),
        }
    }

    fn is_closed(&self) -> bool {
        if self.layers.is_empty() {
            return self.eof;
        }
        self.layers.iter().any(|l| l.is_closed())
    }

    fn close(&mut self) {
        // Top first: the WebSocket close frame goes out inside TLS, before
        // TLS's close_notify.
        for i in (0..self.layers.len()).rev() {
            self.layers[i].close();
            if i > 0 {
                self.layers[i].take_wire(&mut self.scratch);
                if !self.scratch.is_empty() {
                    let _ = self.layers[i - 1].write_plaintext(&self.scratch);
                    self.scratch.clear();
                }
            }
        }
    }
}

/// An `io::Error` carrying a layer's typed error, so that it survives the
/// `io::Result` of [`StreamLayer`] and becomes a precise [`crate::Error`]
/// variant.
pub(crate) fn io_error<E>(kind: io::ErrorKind, error: E) -> io::Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    io::Error::new(kind, error)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy layer for the stack's plumbing: wire = plaintext with every
    /// byte + 1; emits a greeting on creation and an echo of "ping".
    struct Shift {
        k: u8,
        plain: Vec<u8>,
        wire: Vec<u8>,
        handshaking: bool,
        closed: bool,
    }

    impl Shift {
        fn new(k: u8) -> Self {
            Self {
                k,
                plain: Vec::new(),
                wire: vec![b'H'.wrapping_add(k)],
                handshaking: true,
                closed: false,
            }
        }
    }

    impl StreamLayer for Shift {
        fn name(&self) -> &'static str {
            "shift"
        }
        fn read_wire(&mut self, wire: &[u8]) -> io::Result<()> {
            for &b in wire {
                let b = b.wrapping_sub(self.k);
                if self.handshaking && b == b'H' {
                    self.handshaking = false;
                } else if b == b'C' {
                    self.closed = true;
                } else {
                    self.plain.push(b);
                }
            }
            Ok(())
        }
        fn read_eof(&mut self) -> io::Result<()> {
            if self.handshaking {
                return Err(io::Error::other("eof in handshake"));
            }
            Ok(())
        }
        fn take_plaintext(&mut self, out: &mut Vec<u8>) {
            out.append(&mut self.plain);
        }
        fn write_plaintext(&mut self, data: &[u8]) -> io::Result<()> {
            self.wire
                .extend(data.iter().map(|b| b.wrapping_add(self.k)));
            Ok(())
        }
        fn take_wire(&mut self, out: &mut Vec<u8>) {
            out.append(&mut self.wire);
        }
        fn is_handshaking(&self) -> bool {
            self.handshaking
        }
        fn wants_write(&self) -> bool {
            !self.wire.is_empty()
        }
        fn is_closed(&self) -> bool {
            self.closed
        }
        fn close(&mut self) {
            self.wire.push(b'C'.wrapping_add(self.k));
        }
    }

    #[test]
    fn empty_stack_passes_bytes_through() {
        let mut s = Stack::new(Vec::new()).unwrap();
        s.read_wire(b"abc").unwrap();
        s.write_plaintext(b"xyz").unwrap();
        let (mut p, mut w) = (Vec::new(), Vec::new());
        s.take_plaintext(&mut p);
        s.take_wire(&mut w);
        assert_eq!((p.as_slice(), w.as_slice()), (&b"abc"[..], &b"xyz"[..]));
        assert!(!s.is_handshaking());
    }

    #[test]
    fn layers_compose_in_both_directions() {
        let mut s = Stack::new(vec![Box::new(Shift::new(1)), Box::new(Shift::new(10))]).unwrap();
        // The upper layer's greeting went through the lower one: 'H'+10+1,
        // after the lower one's own greeting 'H'+1.
        let mut w = Vec::new();
        s.take_wire(&mut w);
        assert_eq!(w, [b'H' + 1, b'H' + 11]);
        assert!(s.is_handshaking());
        assert_eq!(s.handshaking_layer(), Some("shift"));
        // The peer's greetings, then data, in one read.
        s.read_wire(&[b'H' + 1, b'H' + 11, b'a' + 11, b'b' + 11])
            .unwrap();
        assert!(!s.is_handshaking());
        let mut p = Vec::new();
        s.take_plaintext(&mut p);
        assert_eq!(p, b"ab");
        s.write_plaintext(b"z").unwrap();
        w.clear();
        s.take_wire(&mut w);
        assert_eq!(w, [b'z' + 11]);
        // Close goes top first, each close encoded by the layers below.
        s.close();
        w.clear();
        s.take_wire(&mut w);
        assert_eq!(w, [b'C' + 11, b'C' + 1]);
    }

    #[test]
    fn eof_during_a_handshake_is_an_error() {
        let mut s = Stack::new(vec![Box::new(Shift::new(1))]).unwrap();
        assert!(s.read_eof().is_err());
        let mut s = Stack::new(vec![Box::new(Shift::new(1))]).unwrap();
        s.read_wire(&[b'H' + 1]).unwrap();
        s.read_eof().unwrap();
    }
}
