//! Inputs on which the differential checks (the reference decoder of
//! `tests/reference_agreement.rs` and the fuzz targets in `fuzz/`) caught
//! the fast decoder out, pinned here against the fast decoder alone so they
//! run without the `reference` feature. Each test names what was wrong and
//! the rule that decides the right answer.
//!
//! Fuzz crashes go here too: the crashing bytes verbatim, and the fixed verdict.

use bytes::BytesMut;
use mqtt_proto::{DecodeError, Decoder, PropertyId, ProtocolVersion, ReasonCode, TopicError};

fn decode(
    version: ProtocolVersion,
    bytes: &[u8],
) -> Result<Option<mqtt_proto::Packet>, DecodeError> {
    Decoder::new(version).decode(&mut BytesMut::from(bytes))
}

/// A PUBLISH with QoS 3 was only refused once its whole body had arrived,
/// so a peer could make the receiver buffer up to 256 MB of a packet that
/// was already known to be malformed. The first byte decides
/// [MQTT-3.3.1-4, 3.1.1, 5.0].
#[test]
fn mqtt_3_3_1_4_publish_qos_3_is_refused_on_its_first_byte() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let e = decode(version, b"\x36").unwrap_err();
        assert!(matches!(e, DecodeError::InvalidQoS { .. }), "{e:?}");
        assert_eq!(e.reason_code(), ReasonCode::MalformedPacket);
        // Also with a huge announced remaining length.
        assert!(decode(version, b"\x36\xff\xff\xff\x7f").is_err());
    }
}

/// DUP on a QoS 0 PUBLISH, likewise visible in the first byte
/// [MQTT-3.3.1-2, 3.1.1].
#[test]
fn mqtt_3_3_1_2_dup_on_qos_0_is_refused_on_its_first_byte() {
    let e = decode(ProtocolVersion::V3_1_1, b"\x38").unwrap_err();
    assert_eq!(e, DecodeError::DupOnQoS0);
    // QoS 1 with DUP is fine and waits for its body.
    assert_eq!(decode(ProtocolVersion::V3_1_1, b"\x3a"), Ok(None));
}

/// The topic name of a PUBLISH was validated after the properties, so a
/// wildcard topic followed by a bad property section was reported as the
/// property fault. Faults are reported in wire order: the topic comes first
/// [MQTT-3.3.2-2, 5.0].
#[test]
fn mqtt_3_3_2_2_wildcard_topic_is_reported_before_the_properties() {
    // Topic "a+", property length 1 holding the unknown identifier 0x00.
    let e = decode(ProtocolVersion::V5, b"\x30\x06\x00\x02a+\x01\x00").unwrap_err();
    assert_eq!(
        e,
        DecodeError::InvalidTopicName {
            field: "topic name",
            source: TopicError::WildcardInName,
        }
    );
    assert_eq!(e.reason_code(), ReasonCode::TopicNameInvalid);
}

/// A property was read from the rest of the packet rather than from its
/// property section, so a value straddling the end of the section was
/// judged on bytes outside it: here a Receive Maximum of 0 made a Protocol
/// Error of what is a Malformed Packet (5.0 section 2.2.2.1: the property
/// length is the number of bytes of the properties).
#[test]
fn property_straddling_the_property_length_is_malformed() {
    // CONNACK, property length 2: 0x21 (Receive Maximum) and one of its two bytes.
    let e = decode(ProtocolVersion::V5, b"\x20\x06\x00\x00\x02\x21\x00\x00").unwrap_err();
    assert_eq!(e, DecodeError::PropertyLengthMismatch);
    assert_eq!(e.reason_code(), ReasonCode::MalformedPacket);
    // Inside the section the same value is a Protocol Error.
    let e = decode(ProtocolVersion::V5, b"\x20\x06\x00\x00\x03\x21\x00\x00").unwrap_err();
    assert_eq!(
        e,
        DecodeError::InvalidPropertyValue(PropertyId::ReceiveMaximum)
    );
    assert_eq!(e.reason_code(), ReasonCode::ProtocolError);
}
