//! `Session::release_idle_buffers`: an adapter may call it between any two
//! calls; it frees only buffers that hold nothing, so a partial packet,
//! unsent bytes and undelivered events all survive it.

mod common;
use common::*;
use mqtt_proto::{ProtocolVersion, QoS};
use mqtt_session::{Event, Session};
use std::time::Instant;

#[test]
fn release_keeps_unsent_bytes_partial_input_and_events() {
    let now = Instant::now();
    let mut session = Session::new(config(ProtocolVersion::V3_1_1));
    session.connect(now).unwrap();

    // CONNECT is queued and not yet taken by the adapter.
    session.release_idle_buffers();
    let connect = session
        .poll_transmit()
        .expect("CONNECT survives the release");
    // Section 2.1.2: packet type 1 in the high nibble, flags 0.
    assert_eq!(connect[0], 0x10);

    // Section 3.2: CONNACK: 0x20, remaining length 2, no session present,
    // return code 0 (accepted), arriving in two reads with a release between.
    session.handle_input(now, &[0x20, 0x02]);
    session.release_idle_buffers();
    session.handle_input(now, &[0x00, 0x00]);
    assert!(session.is_connected(), "the split CONNACK was reassembled");

    // The Connected event waits in the queue; releasing must not drop it.
    session.release_idle_buffers();
    assert!(matches!(
        session.poll_event(),
        Some(Event::Connected { .. })
    ));
    assert!(session.poll_event().is_none());

    // Everything drained and released: the session works as before.
    session.release_idle_buffers();
    session
        .publish(now, message("a/b", "hi", QoS::AtLeastOnce))
        .unwrap();
    session.release_idle_buffers();
    let publish = session
        .poll_transmit()
        .expect("PUBLISH survives the release");
    // Section 3.3.1: PUBLISH type 3, QoS 1 in bits 1-2: 0x32.
    assert_eq!(publish[0], 0x32);
    // Section 3.4: PUBACK for packet identifier 1, in two reads again.
    session.handle_input(now, &[0x40, 0x02, 0x00]);
    session.release_idle_buffers();
    session.handle_input(now, &[0x01]);
    assert!(matches!(
        session.poll_event(),
        Some(Event::Published {
            qos: QoS::AtLeastOnce,
            ..
        })
    ));
}
