//! The variable header and payload of each control packet (chapter 3 of
//! both specifications), field by field in wire order.

use super::primitives::{
    binary, binary_slice, byte, check_topic_name, fail, malformed, packet_id, protocol_error,
    string, topic_filter, topic_name, two_bytes, In, PResult,
};
use super::properties::{self, Place};
use crate::packet::{
    Ack, Auth, ConnAck, Connect, Disconnect, LastWill, PacketType, Publish, RetainHandling, SubAck,
    Subscribe, Subscription, SubscriptionOptions, UnsubAck, Unsubscribe,
};
use crate::properties::{
    ConnectProperties, PublishProperties, SubscribeProperties, UnsubscribeProperties,
    WillProperties,
};
use crate::qos::{Delivery, QoS};
use crate::reason::ReasonCode;
use crate::version::ProtocolVersion;
use bytes::Bytes;
use nom::combinator::{cond, cut, eof, rest};
use nom::multi::many_till;
use nom::Parser;

/// CONNECT (3.1). Decoded at the version its protocol name and level name,
/// whatever version the connection was expected to speak.
pub(super) fn connect(i: In) -> PResult<Connect> {
    // 3.1.2.1 / 3.1.2.2: the name and level must form a version we speak;
    // otherwise the answer is CONNACK 0x84 (3.x: return code 0x01).
    let (i, name) = binary_slice("protocol name").parse(i)?;
    let (i, level) = byte("protocol level")(i)?;
    let protocol = match (name, level) {
        (b"MQIsdp", 3) => ProtocolVersion::V3_1,
        (b"MQTT", 4) => ProtocolVersion::V3_1_1,
        (b"MQTT", 5) => ProtocolVersion::V5,
        _ => {
            return Err(fail(
                ReasonCode::UnsupportedProtocolVersion,
                "unknown protocol name or level [MQTT-3.1.2-2]",
            ))
        }
    };
    let v5 = protocol == ProtocolVersion::V5;

    // 3.1.2.3 Connect Flags.
    let (i, flags) = byte("connect flags")(i)?;
    let username_flag = flags & 0x80 != 0;
    let password_flag = flags & 0x40 != 0;
    let will_retain = flags & 0x20 != 0;
    let will_qos_bits = (flags >> 3) & 0x03;
    let will_flag = flags & 0x04 != 0;
    let clean_start = flags & 0x02 != 0;
    if flags & 0x01 != 0 {
        return Err(malformed("reserved connect flag set [MQTT-3.1.2-3]"));
    }
    let will_qos = QoS::from_u8(will_qos_bits)
        .ok_or_else(|| malformed("will QoS 3 [MQTT-3.1.2-12 (5.0), MQTT-3.1.2-14 (3.1.1)]"))?;
    if !will_flag && (will_qos != QoS::AtMostOnce || will_retain) {
        return Err(malformed(
            "will QoS or will retain without will flag [MQTT-3.1.2-11, MQTT-3.1.2-13]",
        ));
    }
    // 3.1.1 only: "If the User Name Flag is set to 0, the Password Flag MUST be set to 0".
    if !v5 && password_flag && !username_flag {
        return Err(malformed(
            "password without user name [MQTT-3.1.2-22, 3.1.1]",
        ));
    }

    let (i, keep_alive) = two_bytes("keep alive")(i)?;
    let (i, props) = cond(v5, properties::connect).parse(i)?;

    // 3.1.3 Payload: client identifier, will properties, will topic, will
    // payload, user name, password, in that order.
    let (i, client_id) = string("client identifier")(i)?;
    // MQTT 3.1 (section 3.1, "Client Identifier"): 1 to 23 characters.
    if protocol == ProtocolVersion::V3_1 && !(1..=23).contains(&client_id.len()) {
        return Err(fail(
            ReasonCode::ClientIdentifierNotValid,
            "MQTT 3.1 client identifier outside 1..=23 bytes",
        ));
    }
    let (i, will) = cond(will_flag, |i| last_will(i, v5, will_qos, will_retain)).parse(i)?;
    let (i, username) = cond(username_flag, string("user name")).parse(i)?;
    let (i, password) = cond(password_flag, binary("password")).parse(i)?;
    Ok((
        i,
        Connect {
            protocol,
            clean_start,
            keep_alive,
            client_id,
            will,
            username,
            password,
            properties: props.unwrap_or_else(ConnectProperties::default),
        },
    ))
}

fn last_will(i: In, v5: bool, qos: QoS, retain: bool) -> PResult<LastWill> {
    let (i, props) = cond(v5, properties::will).parse(i)?;
    let (i, topic) = topic_name("will topic")(i)?;
    let (i, payload) = binary("will payload")(i)?;
    Ok((
        i,
        LastWill {
            topic,
            payload,
            qos,
            retain,
            properties: props.unwrap_or_else(WillProperties::default),
        },
    ))
}

/// CONNACK (3.2).
pub(super) fn connack(i: In, version: ProtocolVersion) -> PResult<ConnAck> {
    let (i, flags) = byte("connect acknowledge flags")(i)?;
    // Bits 7-1 are reserved [MQTT-3.2.2-1].
    if flags & 0xFE != 0 {
        return Err(malformed(
            "reserved connect acknowledge flags [MQTT-3.2.2-1]",
        ));
    }
    let session_present = flags & 0x01 != 0;
    let (i, code) = byte("connect reason code")(i)?;
    let reason = if version.is_v5() {
        ReasonCode::from_u8(code).filter(|r| r.is_valid_for(PacketType::ConnAck))
    } else {
        // 3.1.1 Table 3.1: return codes 0 to 5; 6-255 are reserved.
        ReasonCode::from_v3_connack(code)
    }
    .ok_or_else(|| protocol_error("reason code CONNACK cannot carry"))?;
    // "If a Server sends a CONNACK packet containing a non-zero Reason Code
    // it MUST set Session Present to 0" [MQTT-3.2.2-6 (5.0), MQTT-3.2.2-4 (3.1.1)].
    if session_present && reason != ReasonCode::Success {
        return Err(protocol_error(
            "session present with a failure code [MQTT-3.2.2-6]",
        ));
    }
    let (i, props) = cond(version.is_v5(), properties::connack).parse(i)?;
    Ok((
        i,
        ConnAck {
            session_present,
            reason,
            properties: props.unwrap_or_default(),
        },
    ))
}

/// The flags of a PUBLISH fixed header (3.3.1), already checked.
#[derive(Debug, Clone, Copy)]
pub(super) struct PublishFlags {
    pub(super) dup: bool,
    pub(super) qos: QoS,
    pub(super) retain: bool,
}

/// PUBLISH (3.3).
pub(super) fn publish(i: In, version: ProtocolVersion, flags: PublishFlags) -> PResult<Publish> {
    let v5 = version.is_v5();
    let (i, raw_topic) = binary_slice("topic name").parse(i)?;
    // 5.0 lets the topic name be empty when a Topic Alias stands for it
    // (3.3.2.1); that can only be checked once the properties are read.
    let topic = if v5 && raw_topic.is_empty() {
        None
    } else {
        Some(check_topic_name(raw_topic)?)
    };
    let (i, id) = cond(flags.qos != QoS::AtMostOnce, packet_id).parse(i)?;
    let delivery = match id {
        Some(id) => Delivery::with_id(flags.qos, id),
        None => Delivery::AtMostOnce,
    };
    let (i, props) = cond(v5, properties::publish).parse(i)?;
    let properties = props.unwrap_or_else(PublishProperties::default);
    // "It is a Protocol Error if the Topic Name is zero length and there is no Topic Alias."
    if topic.is_none() && properties.topic_alias.is_none() {
        return Err(protocol_error(
            "empty topic name without topic alias [MQTT-3.3.2-1]",
        ));
    }
    // 3.3.3: the payload is everything after the variable header.
    let (i, payload) = rest(i)?;
    Ok((
        i,
        Publish {
            dup: flags.dup,
            delivery,
            retain: flags.retain,
            topic,
            payload: Bytes::copy_from_slice(payload),
            properties: properties.into(),
        },
    ))
}

/// A reason code `packet` may carry in 5.0, else a Protocol Error.
fn reason_for(packet: PacketType) -> impl FnMut(In) -> PResult<ReasonCode> {
    move |i| {
        let (i, code) = byte("reason code")(i)?;
        let reason = ReasonCode::from_u8(code)
            .filter(|r| r.is_valid_for(packet))
            .ok_or_else(|| protocol_error("reason code the packet cannot carry"))?;
        Ok((i, reason))
    }
}

fn ack_place(packet: PacketType) -> Place {
    match packet {
        PacketType::PubAck => Place::PubAck,
        PacketType::PubRec => Place::PubRec,
        PacketType::PubRel => Place::PubRel,
        _ => Place::PubComp,
    }
}

/// PUBACK, PUBREC, PUBREL, PUBCOMP (3.4 - 3.7). In 5.0 the reason code may
/// be left out when it is Success and there are no properties (Remaining
/// Length 2), and the property length when there are none (Remaining
/// Length 3).
pub(super) fn ack(i: In, version: ProtocolVersion, packet: PacketType) -> PResult<Ack> {
    let (i, id) = packet_id(i)?;
    let (i, reason) = cond(version.is_v5() && !i.is_empty(), reason_for(packet)).parse(i)?;
    let (i, props) = cond(
        version.is_v5() && !i.is_empty(),
        properties::ack(ack_place(packet)),
    )
    .parse(i)?;
    Ok((
        i,
        Ack {
            packet_id: id,
            reason: reason.unwrap_or(ReasonCode::Success),
            properties: props.map(Into::into).unwrap_or_default(),
        },
    ))
}

/// One Subscription Options byte (3.8.3.1). Before 5.0 only the QoS bits
/// exist and the other six are reserved.
fn subscription_options(i: In, version: ProtocolVersion) -> PResult<SubscriptionOptions> {
    let (i, b) = byte("subscription options")(i)?;
    if !version.is_v5() {
        // "The Server MUST treat a SUBSCRIBE packet as malformed ... if any of
        // Reserved bits in the payload are non-zero, or QoS is not 0, 1 or 2"
        // [MQTT-3.8.3-4 (3.1.1)].
        if b & 0xFC != 0 {
            return Err(malformed(
                "reserved subscription option bits [MQTT-3.8.3-4]",
            ));
        }
        let qos = QoS::from_u8(b).ok_or_else(|| malformed("requested QoS 3 [MQTT-3.8.3-4]"))?;
        return Ok((i, SubscriptionOptions::new(qos)));
    }
    // Bits 6 and 7 reserved: malformed [MQTT-3.8.3-5].
    if b & 0xC0 != 0 {
        return Err(malformed(
            "reserved subscription option bits [MQTT-3.8.3-5]",
        ));
    }
    // "It is a Protocol Error if the Maximum QoS field has the value 3."
    let qos = QoS::from_u8(b & 0x03).ok_or_else(|| protocol_error("maximum QoS 3"))?;
    // "It is a Protocol Error to send a Retain Handling value of 3."
    let retain_handling = match (b >> 4) & 0x03 {
        0 => RetainHandling::SendAtSubscribe,
        1 => RetainHandling::SendAtNewSubscribe,
        2 => RetainHandling::DoNotSend,
        _ => return Err(protocol_error("retain handling 3")),
    };
    Ok((
        i,
        SubscriptionOptions {
            qos,
            no_local: b & 0x04 != 0,
            retain_as_published: b & 0x08 != 0,
            retain_handling,
        },
    ))
}

fn subscription(version: ProtocolVersion) -> impl FnMut(In) -> PResult<Subscription> {
    move |i| {
        let (i, filter) = topic_filter(version, i)?;
        let (i, options) = subscription_options(i, version)?;
        // "It is a Protocol Error to set the No Local bit to 1 on a Shared Subscription" [MQTT-3.8.3-4].
        if options.no_local && filter.is_shared() {
            return Err(protocol_error(
                "no local on a shared subscription [MQTT-3.8.3-4]",
            ));
        }
        Ok((i, Subscription { filter, options }))
    }
}

/// SUBSCRIBE (3.8): at least one filter [MQTT-3.8.3-2 (5.0), MQTT-3.8.3-3 (3.1.1)].
pub(super) fn subscribe(i: In, version: ProtocolVersion) -> PResult<Subscribe> {
    let (i, id) = packet_id(i)?;
    let (i, props) = cond(version.is_v5(), properties::subscribe).parse(i)?;
    if i.is_empty() {
        return Err(protocol_error(
            "SUBSCRIBE without a topic filter [MQTT-3.8.3-2]",
        ));
    }
    let (i, (subscriptions, _)) = many_till(cut(subscription(version)), eof).parse(i)?;
    Ok((
        i,
        Subscribe {
            packet_id: id,
            subscriptions,
            properties: props.unwrap_or_else(SubscribeProperties::default),
        },
    ))
}

/// The reason codes of SUBACK (3.9.3) or 5.0 UNSUBACK (3.11.3): the rest of
/// the packet, one byte each, at least one.
fn reason_list(i: In, version: ProtocolVersion, packet: PacketType) -> PResult<Vec<ReasonCode>> {
    if i.is_empty() {
        return Err(malformed("acknowledgement without any reason code"));
    }
    let mut reasons = Vec::with_capacity(i.len());
    for &code in i {
        let reason = if version.is_v5() {
            ReasonCode::from_u8(code).filter(|r| r.is_valid_for(packet))
        } else {
            // 3.1.1 3.9.3: 0x00, 0x01, 0x02 and 0x80 only.
            ReasonCode::from_v3_suback(code)
        }
        .ok_or_else(|| protocol_error("reason code the packet cannot carry"))?;
        reasons.push(reason);
    }
    Ok((&i[i.len()..], reasons))
}

/// SUBACK (3.9).
pub(super) fn suback(i: In, version: ProtocolVersion) -> PResult<SubAck> {
    let (i, id) = packet_id(i)?;
    let (i, props) = cond(version.is_v5(), properties::ack(Place::SubAck)).parse(i)?;
    let (i, reasons) = reason_list(i, version, PacketType::SubAck)?;
    Ok((
        i,
        SubAck {
            packet_id: id,
            reasons,
            properties: props.map(Into::into).unwrap_or_default(),
        },
    ))
}

/// UNSUBSCRIBE (3.10): at least one filter [MQTT-3.10.3-2].
pub(super) fn unsubscribe(i: In, version: ProtocolVersion) -> PResult<Unsubscribe> {
    let (i, id) = packet_id(i)?;
    let (i, props) = cond(version.is_v5(), properties::unsubscribe).parse(i)?;
    if i.is_empty() {
        return Err(protocol_error(
            "UNSUBSCRIBE without a topic filter [MQTT-3.10.3-2]",
        ));
    }
    let (i, (filters, _)) = many_till(cut(|i| topic_filter(version, i)), eof).parse(i)?;
    Ok((
        i,
        Unsubscribe {
            packet_id: id,
            filters,
            properties: props.unwrap_or_else(UnsubscribeProperties::default),
        },
    ))
}

/// UNSUBACK (3.11): only a packet identifier before 5.0.
pub(super) fn unsuback(i: In, version: ProtocolVersion) -> PResult<UnsubAck> {
    let (i, id) = packet_id(i)?;
    if !version.is_v5() {
        return Ok((
            i,
            UnsubAck {
                packet_id: id,
                reasons: Vec::new(),
                properties: Default::default(),
            },
        ));
    }
    let (i, props) = properties::ack(Place::UnsubAck)(i)?;
    let (i, reasons) = reason_list(i, version, PacketType::UnsubAck)?;
    Ok((
        i,
        UnsubAck {
            packet_id: id,
            reasons,
            properties: props.into(),
        },
    ))
}

/// DISCONNECT (3.14). No variable header before 5.0; in 5.0 the reason
/// code may be left out (Remaining Length 0) and so may the property length
/// (Remaining Length 1).
pub(super) fn disconnect(i: In, version: ProtocolVersion) -> PResult<Disconnect> {
    let v5 = version.is_v5();
    let (i, reason) = cond(v5 && !i.is_empty(), reason_for(PacketType::Disconnect)).parse(i)?;
    let (i, props) = cond(v5 && !i.is_empty(), properties::disconnect).parse(i)?;
    Ok((
        i,
        Disconnect {
            reason: reason.unwrap_or(ReasonCode::Success),
            properties: props.map(Into::into).unwrap_or_default(),
        },
    ))
}

/// AUTH (3.15, 5.0 only). "The Reason Code and Property Length can be
/// omitted if the Reason Code is 0x00 (Success) and there are no
/// Properties. In this case the AUTH has a Remaining Length of 0" (3.15.2.1):
/// unlike DISCONNECT there is no form with a reason code alone.
pub(super) fn auth(i: In) -> PResult<Auth> {
    let missing = || protocol_error("AUTH without an authentication method (3.15.2.2.2)");
    match i.len() {
        // Success with no properties: no method either.
        0 => return Err(missing()),
        // The shape alone is wrong, whatever the byte says.
        1 => return Err(malformed("AUTH with a reason code but no property length")),
        _ => {}
    }
    let (i, reason) = reason_for(PacketType::Auth)(i)?;
    let (i, properties) = properties::auth(i)?;
    if properties.authentication_method.is_none() {
        return Err(missing());
    }
    Ok((
        i,
        Auth {
            reason,
            properties: properties.into(),
        },
    ))
}
