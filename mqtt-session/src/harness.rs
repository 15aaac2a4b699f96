//! A scripted broker peer and a virtual clock for testing code built on
//! [`Session`] (enable the `harness` feature).
//!
//! The harness owns a session and plays the broker: it decodes what the
//! session transmits so tests can expect exact packets, encodes what the
//! broker sends, and moves a virtual clock that fires every deadline the
//! session asks for, in order. It checks the drive contract as it goes: a
//! deadline returned after `handle_timeout` must not be in the past.
//!
//! ```
//! use mqtt_session::harness::Harness;
//! use mqtt_session::{Event, SessionConfig};
//! use mqtt_proto::{ConnAck, MqttString, Packet, ProtocolVersion};
//! use std::time::Duration;
//!
//! let mut config = SessionConfig::new(ProtocolVersion::V3_1_1, MqttString::new("c").unwrap());
//! config.connect.keep_alive = 10;
//! let mut h = Harness::new(config);
//! h.connect();
//! assert!(matches!(h.expect_packet(), Packet::Connect(_)));
//! h.send(ConnAck::default());
//! assert!(matches!(h.expect_event(), Event::Connected { .. }));
//! h.advance(Duration::from_secs(10));
//! assert_eq!(h.expect_packet(), Packet::PingReq);
//! ```

use crate::{Event, Session, SessionConfig};
use bytes::BytesMut;
use core::time::Duration;
use mqtt_proto::{Decoder, Encodable, Encoder, Packet, ProtocolVersion};
use std::collections::VecDeque;
use std::time::Instant;

/// A session driven by a scripted broker and a virtual clock.
#[derive(Debug)]
pub struct Harness {
    /// The session under test.
    pub session: Session,
    now: Instant,
    version: ProtocolVersion,
    wire: BytesMut,
    decoder: Decoder,
    events: VecDeque<Event>,
}

impl Harness {
    /// A harness around a new session with `config`.
    pub fn new(config: SessionConfig) -> Self {
        Self::with_session(Session::new(config))
    }

    /// A harness around an existing session.
    pub fn with_session(session: Session) -> Self {
        let version = session.config().version();
        Self {
            session,
            now: Instant::now(),
            version,
            wire: BytesMut::new(),
            decoder: Decoder::new(version),
            events: VecDeque::new(),
        }
    }

    /// The virtual time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Pulls every transmit and event out of the session, as an adapter must.
    pub fn drain(&mut self) {
        while let Some(bytes) = self.session.poll_transmit() {
            self.wire.extend_from_slice(&bytes);
        }
        while let Some(event) = self.session.poll_event() {
            self.events.push_back(event);
        }
    }

    /// Opens a new transport connection: calls [`Session::connect`] and drains.
    pub fn connect(&mut self) {
        self.wire.clear();
        self.decoder = Decoder::new(self.version);
        self.session.connect(self.now).expect("connect");
        self.drain();
    }

    /// Runs `f` on the session at the current time, then drains.
    pub fn act<R>(&mut self, f: impl FnOnce(&mut Session, Instant) -> R) -> R {
        let r = f(&mut self.session, self.now);
        self.drain();
        r
    }

    /// The broker sends `packet`.
    pub fn send(&mut self, packet: impl Into<Packet>) {
        let mut buf = BytesMut::new();
        let packet = packet.into();
        Encoder::new(self.version)
            .encode(&packet, &mut buf)
            .unwrap_or_else(|e| panic!("harness cannot encode {packet:?}: {e}"));
        self.send_bytes(&buf);
    }

    /// The broker sends raw bytes (possibly a fraction of a packet, or garbage).
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.session.handle_input(self.now, bytes);
        self.drain();
    }

    /// The transport breaks: [`Session::handle_transport_closed`], and what
    /// the session had not transmitted is lost with it.
    pub fn drop_transport(&mut self) {
        self.session.handle_transport_closed(self.now);
        self.drain();
        self.wire.clear();
    }

    /// Moves the virtual clock forward by `d`, firing every deadline on the
    /// way at its own time, as a real event loop would.
    pub fn advance(&mut self, d: Duration) {
        let target = self.now + d;
        while let Some(deadline) = self.session.poll_timeout() {
            if deadline > target {
                break;
            }
            self.now = self.now.max(deadline);
            self.session.handle_timeout(self.now);
            self.drain();
            if let Some(next) = self.session.poll_timeout() {
                assert!(
                    next > self.now,
                    "deadline {:?} not after now {:?} right after handle_timeout",
                    next - self.now,
                    Duration::ZERO
                );
            }
        }
        self.now = target;
    }

    /// The next packet the session sent; panics if there is none.
    pub fn expect_packet(&mut self) -> Packet {
        self.try_packet()
            .unwrap_or_else(|| panic!("expected a packet from the client, none was sent"))
    }

    /// The next packet the session sent, if any.
    pub fn try_packet(&mut self) -> Option<Packet> {
        match self.decoder.decode(&mut self.wire) {
            Ok(p) => p,
            Err(e) => panic!("the client sent an invalid packet: {e}"),
        }
    }

    /// Asserts the next packet the session sent equals `expected`.
    pub fn expect(&mut self, expected: impl Into<Packet>) {
        let expected = expected.into();
        let got = self.expect_packet();
        assert_eq!(got, expected, "client sent an unexpected packet");
    }

    /// Asserts the session sent exactly these bytes next.
    pub fn expect_bytes(&mut self, expected: &[u8]) {
        let mut buf = BytesMut::new();
        let packet = self.expect_packet();
        Encoder::new(self.version)
            .encode(&packet, &mut buf)
            .expect("re-encode");
        assert_eq!(&buf[..], expected, "client sent {packet:?}");
    }

    /// Asserts the session sent nothing more.
    pub fn expect_silence(&mut self) {
        if let Some(p) = self.try_packet() {
            panic!("expected no packet from the client, got {p:?}");
        }
    }

    /// The next event; panics if there is none.
    pub fn expect_event(&mut self) -> Event {
        self.events
            .pop_front()
            .unwrap_or_else(|| panic!("expected an event, none was emitted"))
    }

    /// The next event, if any.
    pub fn try_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Every pending event.
    pub fn take_events(&mut self) -> Vec<Event> {
        self.events.drain(..).collect()
    }

    /// Asserts no event is pending.
    pub fn expect_no_event(&mut self) {
        if let Some(e) = self.events.pop_front() {
            panic!("expected no event, got {e:?}");
        }
    }

    /// Encodes `packet` the way the broker would, for tests that split it.
    pub fn encode(&self, packet: impl Encodable) -> Vec<u8> {
        let mut buf = BytesMut::new();
        packet.encode(self.version, &mut buf).expect("encode");
        buf.to_vec()
    }
}
