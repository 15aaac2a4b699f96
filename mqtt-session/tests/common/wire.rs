//! A driver for the conformance tests that keeps the exact bytes the
//! session writes, and the packets a test expects built by hand from the
//! layouts of the specification (not with mqtt-proto's encoder), so that a
//! test compares the wire with an independent account of it.

use mqtt_proto::{ConnAck, Encoder, Packet, ProtocolVersion};
use mqtt_session::{Event, Session, SessionConfig, SessionState};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The versions a rule shared by all three is run in.
pub const ALL_VERSIONS: [ProtocolVersion; 3] = [
    ProtocolVersion::V3_1,
    ProtocolVersion::V3_1_1,
    ProtocolVersion::V5,
];

/// A session, a virtual clock and the broker's end of the transport.
pub struct Wire {
    /// The session under test.
    pub session: Session,
    /// The virtual time.
    pub now: Instant,
    version: ProtocolVersion,
    /// Bytes the session wrote that the test has not looked at.
    written: Vec<u8>,
    events: VecDeque<Event>,
}

impl Wire {
    pub fn new(config: SessionConfig) -> Self {
        Self::with_session(Session::new(config))
    }

    /// A session resuming `state`, as one restored from storage.
    pub fn with_state(config: SessionConfig, state: SessionState) -> Self {
        Self::with_session(Session::with_state(config, state))
    }

    pub fn with_session(session: Session) -> Self {
        Self {
            version: session.config().version(),
            session,
            now: Instant::now(),
            written: Vec::new(),
            events: VecDeque::new(),
        }
    }

    pub fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// Writes what the session has to send and collects its events, as an
    /// adapter does after every call.
    fn drain(&mut self) {
        while let Some(bytes) = self.session.poll_transmit() {
            self.written.extend_from_slice(&bytes);
        }
        while let Some(e) = self.session.poll_event() {
            self.events.push_back(e);
        }
    }

    /// Runs `f` on the session now, then drains.
    pub fn act<R>(&mut self, f: impl FnOnce(&mut Session, Instant) -> R) -> R {
        let r = f(&mut self.session, self.now);
        self.drain();
        r
    }

    /// A new transport is open: `Session::connect`. Returns what was written.
    pub fn open(&mut self) -> Vec<u8> {
        assert!(
            self.written.is_empty(),
            "unread bytes: {:02x?}",
            self.written
        );
        assert!(self.events.is_empty(), "unread events: {:?}", self.events);
        self.act(|s, now| s.connect(now)).expect("connect");
        self.take()
    }

    /// The broker sends `packet`, encoded as a broker of this version would.
    pub fn send(&mut self, packet: impl Into<Packet>) {
        let mut buf = bytes::BytesMut::new();
        Encoder::new(self.version)
            .encode(&packet.into(), &mut buf)
            .expect("the broker's packet encodes");
        self.send_bytes(&buf);
    }

    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.session.handle_input(self.now, bytes);
        self.drain();
    }

    /// The broker accepts the connection with `session_present`; the
    /// Connected event is checked and consumed.
    pub fn accept(&mut self, session_present: bool) {
        self.send(ConnAck {
            session_present,
            ..ConnAck::default()
        });
        match self.event() {
            Event::Connected {
                session_present: got,
                ..
            } => assert_eq!(got, session_present),
            e => panic!("expected Connected, got {e:?}"),
        }
    }

    /// Opens a transport and has the broker accept it; returns the CONNECT bytes.
    pub fn connect(&mut self, session_present: bool) -> Vec<u8> {
        let connect = self.open();
        assert_eq!(connect[0], 0x10, "CONNECT first: {connect:02x?}");
        self.accept(session_present);
        connect
    }

    /// The transport breaks. Every byte written so far must have been read
    /// by the test, so that nothing goes unchecked.
    pub fn drop_transport(&mut self) {
        assert!(
            self.written.is_empty(),
            "unread bytes: {:02x?}",
            self.written
        );
        self.act(|s, now| s.handle_transport_closed(now));
        match self.events.pop_back() {
            Some(Event::Disconnected(_)) => {}
            e => panic!("expected Disconnected last, got {e:?}"),
        }
    }

    /// Moves the clock by `d`, calling `handle_timeout` at each deadline on the way.
    pub fn advance(&mut self, d: Duration) {
        let target = self.now + d;
        while let Some(deadline) = self.session.poll_timeout() {
            if deadline > target {
                break;
            }
            self.now = self.now.max(deadline);
            self.session.handle_timeout(self.now);
            self.drain();
        }
        self.now = target;
    }

    /// Everything written since the last look.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.written)
    }

    /// Asserts the session wrote exactly these packets, in this order, and nothing else.
    pub fn expect(&mut self, packets: &[Vec<u8>]) {
        let want: Vec<u8> = packets.concat();
        let got = self.take();
        assert_eq!(got, want, "\n got  {got:02x?}\n want {want:02x?}");
    }

    /// Asserts the session wrote nothing.
    pub fn expect_nothing(&mut self) {
        self.expect(&[]);
    }

    pub fn event(&mut self) -> Event {
        self.events
            .pop_front()
            .unwrap_or_else(|| panic!("expected an event, none was emitted"))
    }

    pub fn events(&mut self) -> Vec<Event> {
        self.events.drain(..).collect()
    }

    pub fn expect_no_event(&mut self) {
        if let Some(e) = self.events.pop_front() {
            panic!("expected no event, got {e:?}");
        }
    }
}

/// A connected session: CONNECT written, CONNACK without Session Present
/// received, both checked and consumed.
pub fn online(config: SessionConfig) -> Wire {
    let mut w = Wire::new(config);
    w.connect(false);
    w
}

// ---- packets as the specification lays them out ----

/// Fixed header and body; every packet of these tests is shorter than 128
/// bytes, so the Remaining Length is one byte.
pub fn frame(first: u8, body: &[u8]) -> Vec<u8> {
    assert!(
        body.len() < 128,
        "a test packet this long needs a longer length"
    );
    let mut out = vec![first, body.len() as u8];
    out.extend_from_slice(body);
    out
}

/// PUBLISH: flags DUP (bit 3), QoS (bits 2-1), RETAIN 0; topic, packet
/// identifier for QoS 1 and 2, in 5.0 an empty property list, payload.
pub fn publish_bytes(
    version: ProtocolVersion,
    dup: bool,
    qos: u8,
    packet_id: u16,
    topic: &str,
    payload: &str,
) -> Vec<u8> {
    publish_with_properties(version, dup, qos, packet_id, topic, payload, &[])
}

/// PUBLISH with these 5.0 properties (already encoded, without their length).
pub fn publish_with_properties(
    version: ProtocolVersion,
    dup: bool,
    qos: u8,
    packet_id: u16,
    topic: &str,
    payload: &str,
    properties: &[u8],
) -> Vec<u8> {
    let mut body = (topic.len() as u16).to_be_bytes().to_vec();
    body.extend_from_slice(topic.as_bytes());
    if qos > 0 {
        body.extend_from_slice(&packet_id.to_be_bytes());
    }
    if version.is_v5() {
        body.push(properties.len() as u8);
        body.extend_from_slice(properties);
    } else {
        assert!(properties.is_empty(), "3.x has no properties");
    }
    body.extend_from_slice(payload.as_bytes());
    frame(0x30 | (u8::from(dup) << 3) | (qos << 1), &body)
}

/// A first send of a QoS 1 or 2 message: DUP 0.
pub fn new_publish(v: ProtocolVersion, qos: u8, id: u16, topic: &str, payload: &str) -> Vec<u8> {
    publish_bytes(v, false, qos, id, topic, payload)
}

/// A resend: DUP 1.
pub fn dup_publish(v: ProtocolVersion, qos: u8, id: u16, topic: &str, payload: &str) -> Vec<u8> {
    publish_bytes(v, true, qos, id, topic, payload)
}

/// PUBACK (success: the identifier alone, in 5.0 too).
pub fn puback(id: u16) -> Vec<u8> {
    frame(0x40, &id.to_be_bytes())
}

/// PUBREC (success).
pub fn pubrec(id: u16) -> Vec<u8> {
    frame(0x50, &id.to_be_bytes())
}

/// PUBREL (success); its fixed-header flags are 0010.
pub fn pubrel(id: u16) -> Vec<u8> {
    frame(0x62, &id.to_be_bytes())
}

/// PUBCOMP (success).
pub fn pubcomp(id: u16) -> Vec<u8> {
    frame(0x70, &id.to_be_bytes())
}

/// An acknowledgement with a 5.0 reason code and no properties.
pub fn ack_with_reason(first: u8, id: u16, reason: u8) -> Vec<u8> {
    let mut body = id.to_be_bytes().to_vec();
    body.push(reason);
    frame(first, &body)
}

pub fn pingreq() -> Vec<u8> {
    vec![0xC0, 0x00]
}

/// DISCONNECT with reason Success and no properties (the reason is
/// omitted in 5.0 then).
pub fn disconnect_bytes() -> Vec<u8> {
    vec![0xE0, 0x00]
}

/// The Connect Flags byte of a CONNECT's bytes (after the protocol name and level).
pub fn connect_flags(connect: &[u8]) -> u8 {
    assert_eq!(connect[0], 0x10, "not a CONNECT: {connect:02x?}");
    assert!(connect[1] < 0x80, "a test CONNECT is short");
    let name_len = u16::from_be_bytes([connect[2], connect[3]]) as usize;
    connect[2 + 2 + name_len + 1]
}

/// Whether a CONNECT's bytes ask for a clean session (3.x) / clean start (5.0).
pub fn clean_flag(connect: &[u8]) -> bool {
    connect_flags(connect) & 0x02 != 0
}

/// The client identifier a CONNECT's bytes carry (in 5.0 after the properties).
pub fn client_id_of(connect: &[u8], version: ProtocolVersion) -> String {
    let name_len = u16::from_be_bytes([connect[2], connect[3]]) as usize;
    // Protocol name, level, flags, keep alive.
    let mut at = 2 + 2 + name_len + 1 + 1 + 2;
    if version.is_v5() {
        assert!(connect[at] < 0x80, "a test CONNECT has few properties");
        at += 1 + connect[at] as usize;
    }
    let len = u16::from_be_bytes([connect[at], connect[at + 1]]) as usize;
    String::from_utf8(connect[at + 2..at + 2 + len].to_vec()).expect("UTF-8 client id")
}

/// SUBSCRIBE (flags 0010) of one filter at `qos`, no other option, in 5.0
/// with an empty property list.
pub fn subscribe_bytes(v: ProtocolVersion, id: u16, filter: &str, qos: u8) -> Vec<u8> {
    let mut body = id.to_be_bytes().to_vec();
    if v.is_v5() {
        body.push(0);
    }
    body.extend_from_slice(&(filter.len() as u16).to_be_bytes());
    body.extend_from_slice(filter.as_bytes());
    body.push(qos);
    frame(0x82, &body)
}

/// UNSUBSCRIBE (flags 0010) of one filter, in 5.0 with an empty property list.
pub fn unsubscribe_bytes(v: ProtocolVersion, id: u16, filter: &str) -> Vec<u8> {
    let mut body = id.to_be_bytes().to_vec();
    if v.is_v5() {
        body.push(0);
    }
    body.extend_from_slice(&(filter.len() as u16).to_be_bytes());
    body.extend_from_slice(filter.as_bytes());
    frame(0xA2, &body)
}
