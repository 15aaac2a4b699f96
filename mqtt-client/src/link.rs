//! One transport connection as the core sees it: its TLS / WebSocket
//! layers, the bytes the adapter took and wrote, the QoS 0 completions
//! waiting for their bytes to leave, and how the connection ends.
//!
//! Byte accounting, which is what "a QoS 0 message is published once its
//! bytes were written" rests on: the engine's output is counted in
//! plaintext bytes (`plain_taken`), the socket's in wire bytes
//! (`wire_taken`, `wire_written`). A QoS 0 message is stamped with the
//! plaintext end of its PUBLISH when the engine reports it sent; when the
//! adapter takes those bytes they are encoded (TLS, WebSocket frames) and
//! the stamp becomes the wire end of everything taken; once the adapter
//! reports that many bytes written, the message is published.

use crate::layers::{Stack, StreamLayer};
use bytes::Bytes;
use mqtt_session::Event;
use std::collections::VecDeque;
use std::io;
use std::time::Instant;

/// What the adapter must do about the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// Keep it open.
    No,
    /// Close it once the bytes already taken are written: the engine ended
    /// the connection and everything it produced (a DISCONNECT included)
    /// has been handed over.
    AfterWrites,
    /// Close it now: the transport failed, or the grace period for the
    /// last writes ran out.
    Now,
}

pub(crate) struct Link {
    /// TLS / WebSocket layers; `None` for plain TCP, whose plaintext is
    /// the wire and goes out without a copy.
    stack: Option<Box<Stack>>,
    /// Wire bytes of the layers not taken yet (reused between takes).
    wire: Vec<u8>,
    /// Plaintext the layers decoded, on its way to the engine.
    plain: Vec<u8>,
    plain_taken: u64,
    wire_taken: u64,
    wire_written: u64,
    /// QoS 0 completions by plaintext end, until their bytes are taken ...
    qos0_untaken: VecDeque<(u64, Event)>,
    /// ... then by wire end, until they are written.
    qos0_unwritten: VecDeque<(u64, Event)>,
    /// Set once the engine ended the connection: the latest instant to close.
    pub closing: Option<Instant>,
    /// The transport failed (or the grace ran out): close without writing.
    pub close_now: bool,
    /// The layers were told to close (close_notify, close frame) once the
    /// engine's last bytes went in.
    layers_closed: bool,
    /// A CONNACK accepted this connection.
    pub accepted: bool,
}

impl Link {
    pub fn new(stack: Option<Stack>) -> Self {
        Self {
            stack: stack.map(Box::new),
            wire: Vec::new(),
            plain: Vec::new(),
            plain_taken: 0,
            wire_taken: 0,
            wire_written: 0,
            qos0_untaken: VecDeque::new(),
            qos0_unwritten: VecDeque::new(),
            closing: None,
            close_now: false,
            layers_closed: false,
            accepted: false,
        }
    }

    /// Whether bytes wait to be taken besides the engine's.
    pub fn layers_want_write(&self) -> bool {
        !self.wire.is_empty() || self.stack.as_ref().is_some_and(|s| s.wants_write())
    }

    /// The stack, while a layer is still in its handshake.
    pub fn handshaking_layer(&self) -> Option<&'static str> {
        self.stack.as_ref().and_then(|s| s.handshaking_layer())
    }

    /// Feeds wire bytes to the layers and the plaintext they decoded to
    /// `engine` (without layers, the wire is the plaintext: no copy).
    pub fn read_wire(&mut self, wire: &[u8], engine: impl FnOnce(&[u8])) -> io::Result<()> {
        match &mut self.stack {
            None => {
                engine(wire);
                Ok(())
            }
            Some(stack) => {
                let fed = stack.read_wire(wire);
                self.plain.clear();
                stack.take_plaintext(&mut self.plain);
                if !self.plain.is_empty() {
                    engine(&self.plain);
                }
                fed
            }
        }
    }

    /// The stream below ended; the layers may say that this was not an
    /// acceptable end (during a handshake, say) and why. Plaintext they
    /// still held goes to `engine`.
    pub fn read_eof(&mut self, engine: impl FnOnce(&[u8])) -> io::Result<()> {
        match &mut self.stack {
            None => Ok(()),
            Some(stack) => {
                let r = stack.read_eof();
                self.plain.clear();
                stack.take_plaintext(&mut self.plain);
                if !self.plain.is_empty() {
                    engine(&self.plain);
                }
                r
            }
        }
    }

    /// Records a QoS 0 message whose PUBLISH ends `pending` bytes after
    /// what was taken so far.
    pub fn qos0_sent(&mut self, pending: usize, event: Event) {
        self.qos0_untaken
            .push_back((self.plain_taken + pending as u64, event));
    }

    /// Takes the bytes to write: the engine's `plain` output passed through
    /// the layers, and what the layers emitted on their own. An error is
    /// a layer that refused the plaintext.
    pub fn take(&mut self, plain: Option<Bytes>) -> io::Result<Option<Bytes>> {
        let mut result = Ok(());
        if let Some(p) = &plain {
            self.plain_taken += p.len() as u64;
        }
        let out = match &mut self.stack {
            None => plain,
            Some(stack) => {
                if let Some(p) = &plain {
                    result = stack.write_plaintext(p);
                }
                if self.closing.is_some() && !self.layers_closed {
                    // After the engine's last bytes, before the socket closes.
                    self.layers_closed = true;
                    stack.close();
                }
                stack.take_wire(&mut self.wire);
                (!self.wire.is_empty()).then(|| Bytes::from(std::mem::take(&mut self.wire)))
            }
        };
        if let Some(o) = &out {
            self.wire_taken += o.len() as u64;
        }
        while self
            .qos0_untaken
            .front()
            .is_some_and(|(end, _)| *end <= self.plain_taken)
        {
            let (end, e) = self.qos0_untaken.pop_front().expect("front exists");
            // Without layers a plaintext offset is a wire offset; through
            // them, the end of everything taken is the bound known.
            let wire_end = if self.stack.is_none() {
                end
            } else {
                self.wire_taken
            };
            self.qos0_unwritten.push_back((wire_end, e));
        }
        result.map(|()| out)
    }

    /// `n` more wire bytes were written; the QoS 0 messages now fully
    /// written are returned.
    pub fn written(&mut self, n: usize, done: &mut Vec<Event>) {
        self.wire_written += n as u64;
        while self
            .qos0_unwritten
            .front()
            .is_some_and(|(end, _)| *end <= self.wire_written)
        {
            done.push(self.qos0_unwritten.pop_front().expect("front exists").1);
        }
    }

    /// The QoS 0 messages still waiting when the transport goes: they were
    /// handed to it, which is all at-most-once promises.
    pub fn into_unfinished(self) -> impl Iterator<Item = Event> {
        self.qos0_untaken
            .into_iter()
            .chain(self.qos0_unwritten)
            .map(|(_, e)| e)
    }

    /// Frees the buffers an idle connection does not need.
    pub fn release_idle_buffers(&mut self) {
        if self.wire.is_empty() {
            self.wire = Vec::new();
        }
        self.plain = Vec::new();
        if self.qos0_untaken.is_empty() {
            self.qos0_untaken = VecDeque::new();
        }
        if self.qos0_unwritten.is_empty() {
            self.qos0_unwritten = VecDeque::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mqtt_proto::{QoS, ReasonCode};
    use mqtt_session::MessageId;

    fn qos0(n: u64) -> Event {
        Event::Published {
            id: MessageId(n),
            packet_id: None,
            qos: QoS::AtMostOnce,
            reason: ReasonCode::Success,
            properties: Default::default(),
        }
    }

    #[test]
    fn a_qos_0_message_completes_only_when_its_last_byte_is_written() {
        let mut link = Link::new(None);
        // Two messages of 10 bytes each queued before the adapter takes any.
        link.qos0_sent(10, qos0(1));
        link.qos0_sent(20, qos0(2));
        let taken = link.take(Some(Bytes::from(vec![0u8; 20]))).unwrap();
        assert_eq!(taken.map(|b| b.len()), Some(20));
        let mut done = Vec::new();
        link.written(9, &mut done);
        assert!(done.is_empty(), "one byte of the first is still unwritten");
        link.written(1, &mut done);
        assert_eq!(done, vec![qos0(1)]);
        link.written(10, &mut done);
        assert_eq!(done, vec![qos0(1), qos0(2)]);
    }

    #[test]
    fn bytes_queued_after_a_take_wait_for_the_next_take() {
        let mut link = Link::new(None);
        link.take(Some(Bytes::from(vec![0u8; 5]))).unwrap();
        link.qos0_sent(7, qos0(1));
        let mut done = Vec::new();
        link.written(5, &mut done);
        assert!(done.is_empty());
        link.take(Some(Bytes::from(vec![0u8; 7]))).unwrap();
        link.written(7, &mut done);
        assert_eq!(done, vec![qos0(1)]);
    }
}
