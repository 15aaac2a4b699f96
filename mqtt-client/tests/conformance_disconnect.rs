//! Conformance of what the core asks of an adapter about the transport:
//! after the client's DISCONNECT the transport is closed and nothing more
//! is written on it; a 3.x protocol violation, or a packet beyond the
//! client's buffer limit, closes the connection it came on.
//!
//! The core is driven by hand, as an adapter drives it, with a virtual
//! clock; `Closing` is its request to close the transport.

use mqtt_client::mqtt_proto::{ProtocolVersion, QoS, ReasonCode};
use mqtt_client::mqtt_session::{Disconnection, Event};
use mqtt_client::{
    ClientCore, ClientEvent, ClientOptions, Closing, Completion, OutboundMessage, CLOSE_GRACE,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

const VERSIONS: [ProtocolVersion; 3] = [
    ProtocolVersion::V3_1,
    ProtocolVersion::V3_1_1,
    ProtocolVersion::V5,
];

fn options(version: ProtocolVersion) -> ClientOptions {
    ClientOptions::new("127.0.0.1", 1883)
        .client_id("conformance")
        .protocol(version)
        .clean_start(false)
        .keep_alive(Duration::from_secs(10))
}

/// Takes everything the core has for the socket and "writes" it.
fn write_all(core: &mut ClientCore, now: Instant) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(b) = core.take_transmit(now) {
        core.transmitted(b.len());
        out.extend_from_slice(&b);
    }
    out
}

fn events(core: &mut ClientCore) -> Vec<ClientEvent> {
    std::iter::from_fn(|| core.poll_event()).collect()
}

/// A core whose transport is open and whose CONNECT the broker accepted.
fn connected(options: ClientOptions, version: ProtocolVersion) -> (ClientCore, Instant) {
    let now = Instant::now();
    let mut core = ClientCore::new(&options, None).unwrap();
    core.begin_connect();
    core.transport_opened(now).unwrap();
    assert_eq!(write_all(&mut core, now)[0], 0x10);
    let connack: &[u8] = if version.is_v5() {
        &[0x20, 0x03, 0x00, 0x00, 0x00]
    } else {
        &[0x20, 0x02, 0x00, 0x00]
    };
    core.handle_read(now, connack);
    assert!(core.is_connected());
    events(&mut core);
    (core, now)
}

fn qos1(payload: &'static str) -> OutboundMessage {
    OutboundMessage::publish("t", payload, QoS::AtLeastOnce, false).unwrap()
}

/// After the DISCONNECT is written the core asks for the transport to be
/// closed, at once once written, and at the latest when the grace for the
/// last writes ends; until the adapter has closed it, nothing more is
/// written, whatever the broker sends, the application asks or the clock
/// does, and no new connection is wanted.
/// [MQTT-3.14.4-1, 3.1.1, 5.0] [MQTT-3.14.4-2, 3.1.1, 5.0]
#[test]
fn after_disconnect_the_transport_is_closed_and_nothing_more_written() {
    for version in VERSIONS {
        let (mut core, now) = connected(options(version), version);
        core.publish(now, qos1("a"), Arc::new(Completion::default()))
            .unwrap();
        assert_eq!(write_all(&mut core, now)[0], 0x32);
        core.disconnect(now, ReasonCode::Success, Default::default())
            .unwrap();
        assert_eq!(
            core.closing(),
            Closing::No,
            "the DISCONNECT waits to be written"
        );
        let bytes = core.take_transmit(now).expect("the DISCONNECT");
        assert_eq!(&bytes[..], [0xE0, 0x00]);
        core.transmitted(bytes.len());
        assert_eq!(core.closing(), Closing::AfterWrites);
        assert!(matches!(
            events(&mut core)[..],
            [ClientEvent::Engine(Event::Disconnected(
                Disconnection::Local {
                    reason: ReasonCode::Success
                }
            ))]
        ));

        // The broker still sends a QoS 1 PUBLISH, which would need a PUBACK.
        let publish: &[u8] = if version.is_v5() {
            &[0x32, 0x07, 0x00, 0x01, b'x', 0x00, 0x05, 0x00, b'!']
        } else {
            &[0x32, 0x06, 0x00, 0x01, b'x', 0x00, 0x05, b'!']
        };
        core.handle_read(now, publish);
        core.publish(now, qos1("b"), Arc::new(Completion::default()))
            .unwrap();
        let later = now + Duration::from_secs(1);
        core.handle_timeout(later);
        assert!(!core.has_transmit());
        assert_eq!(write_all(&mut core, later), []);
        assert_eq!(core.closing(), Closing::AfterWrites);
        assert!(events(&mut core).is_empty());

        let deadline = core.poll_timeout().expect("the grace for the last writes");
        assert_eq!(deadline, now + CLOSE_GRACE);
        core.handle_timeout(deadline);
        assert_eq!(core.closing(), Closing::Now);
        assert_eq!(write_all(&mut core, deadline), []);
        core.transport_closed(deadline);
        assert!(!core.has_transport());
        assert!(!core.wants_open(deadline + Duration::from_secs(3600)));
    }
}

/// A 3.x protocol violation (a PINGREQ from the server) ends the
/// connection and the core asks for its transport to be closed, writing
/// nothing first. [MQTT-4.8.0-1, 3.1.1]
#[test]
fn a_protocol_violation_closes_the_transport() {
    for version in [ProtocolVersion::V3_1, ProtocolVersion::V3_1_1] {
        let (mut core, now) = connected(options(version), version);
        core.handle_read(now, &[0xC0, 0x00]);
        assert!(!core.has_transmit());
        assert_eq!(core.closing(), Closing::AfterWrites);
        assert!(matches!(
            events(&mut core)[..],
            [ClientEvent::Engine(Event::Disconnected(
                Disconnection::ProtocolError(_)
            ))]
        ));
        core.transport_closed(now);
        assert!(!core.has_transport());
    }
}

/// A packet the client cannot take in, beyond its buffer limit (this
/// client's transient error, see mqtt-session's conformance_session),
/// ends the connection it came on: the core asks for that transport to be
/// closed, and a new connection follows. [MQTT-4.8.0-2, 3.1.1]
#[test]
fn a_packet_beyond_the_buffer_limit_closes_the_transport() {
    for version in [ProtocolVersion::V3_1, ProtocolVersion::V3_1_1] {
        let options = options(version)
            .max_incoming_packet_size(1024)
            .reconnect_delay(Duration::from_secs(1), Duration::from_secs(1));
        let (mut core, now) = connected(options, version);
        // The fixed header of a PUBLISH of 1,997 bytes.
        core.handle_read(now, &[0x30, 0xCD, 0x0F]);
        assert!(!core.has_transmit());
        assert_eq!(core.closing(), Closing::AfterWrites);
        core.transport_closed(now);
        assert!(!core.has_transport());
        let retry = core.poll_timeout().expect("a reconnect is scheduled");
        assert!(core.wants_open(retry));
    }
}
