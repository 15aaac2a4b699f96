//! MQTT 5.0 properties (section 2.2.2), checked against Table 2-4 of the
//! specification: which packet may carry which property, and which
//! properties may appear more than once.
//!
//! The table is written here property by property (the transpose of the
//! per-packet groups in `crate::properties`), so a mistake in either one
//! shows up as a disagreement between the decoders.

use super::primitives::{
    binary, binary_slice, byte, check_topic_name, four_bytes, malformed, protocol_error, string,
    string_pair, two_bytes, varint, In, PResult,
};
use crate::properties::{
    AckProperties, AuthProperties, ConnAckProperties, ConnectProperties, DisconnectProperties,
    PayloadFormat, PropertyId, PublishProperties, SubscribeProperties, SubscriptionId,
    UnsubscribeProperties, UserProperty, WillProperties,
};
use crate::qos::QoS;
use crate::string::MqttString;
use crate::topic::TopicName;
use bytes::Bytes;
use core::num::{NonZeroU16, NonZeroU32};
use nom::combinator::complete;
use nom::error::context;
use nom::multi::length_value;
use nom::Parser;

/// Where a property section sits: a packet, or the will of CONNECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Connect,
    Will,
    ConnAck,
    Publish,
    PubAck,
    PubRec,
    PubRel,
    PubComp,
    Subscribe,
    SubAck,
    Unsubscribe,
    UnsubAck,
    Disconnect,
    Auth,
}

/// Table 2-4, column "Packet / Will Properties", read row by row.
fn allowed(id: PropertyId, place: Place) -> bool {
    use Place::*;
    use PropertyId as P;
    match id {
        P::PayloadFormatIndicator
        | P::MessageExpiryInterval
        | P::ContentType
        | P::ResponseTopic
        | P::CorrelationData => matches!(place, Publish | Will),
        P::SubscriptionIdentifier => matches!(place, Publish | Subscribe),
        P::SessionExpiryInterval => matches!(place, Connect | ConnAck | Disconnect),
        P::AssignedClientIdentifier
        | P::ServerKeepAlive
        | P::ResponseInformation
        | P::MaximumQoS
        | P::RetainAvailable
        | P::WildcardSubscriptionAvailable
        | P::SubscriptionIdentifierAvailable
        | P::SharedSubscriptionAvailable => place == ConnAck,
        P::AuthenticationMethod | P::AuthenticationData => {
            matches!(place, Connect | ConnAck | Auth)
        }
        P::RequestProblemInformation | P::RequestResponseInformation => place == Connect,
        P::WillDelayInterval => place == Will,
        P::ServerReference => matches!(place, ConnAck | Disconnect),
        P::ReasonString => matches!(
            place,
            ConnAck | PubAck | PubRec | PubRel | PubComp | SubAck | UnsubAck | Disconnect | Auth
        ),
        P::ReceiveMaximum | P::TopicAliasMaximum | P::MaximumPacketSize => {
            matches!(place, Connect | ConnAck)
        }
        P::TopicAlias => place == Publish,
        // User Property may be in every packet that has properties.
        P::UserProperty => true,
    }
}

/// "It is a Protocol Error to include the X more than once", said of every
/// property but User Property (2.2.2.2) and Subscription Identifier in
/// PUBLISH (3.3.2.3.8).
fn repeatable(id: PropertyId, place: Place) -> bool {
    match id {
        PropertyId::UserProperty => true,
        PropertyId::SubscriptionIdentifier => place == Place::Publish,
        _ => false,
    }
}

/// One property with its value decoded and range-checked.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Prop {
    PayloadFormat(PayloadFormat),
    MessageExpiry(u32),
    ContentType(MqttString),
    ResponseTopic(TopicName),
    CorrelationData(Bytes),
    SubscriptionId(SubscriptionId),
    SessionExpiry(u32),
    AssignedClientId(MqttString),
    ServerKeepAlive(u16),
    AuthMethod(MqttString),
    AuthData(Bytes),
    RequestProblemInfo(bool),
    WillDelay(u32),
    RequestResponseInfo(bool),
    ResponseInfo(MqttString),
    ServerReference(MqttString),
    ReasonString(MqttString),
    ReceiveMaximum(NonZeroU16),
    TopicAliasMaximum(u16),
    TopicAlias(NonZeroU16),
    MaximumQoS(QoS),
    RetainAvailable(bool),
    User(UserProperty),
    MaximumPacketSize(NonZeroU32),
    WildcardAvailable(bool),
    SubscriptionIdsAvailable(bool),
    SharedAvailable(bool),
}

/// A Byte property that only 0 and 1 are valid for; other values are a
/// Protocol Error (3.1.2.11.6, 3.1.2.11.7, 3.2.2.3.5, 3.2.2.3.11-13).
fn flag<'a>(i: In<'a>, what: &'static str) -> PResult<'a, bool> {
    let (i, b) = byte(what)(i)?;
    match b {
        0 => Ok((i, false)),
        1 => Ok((i, true)),
        _ => Err(protocol_error("a 0/1 property with another value")),
    }
}

/// The value of property `id`, with the range checks of its description.
fn value(id: PropertyId, i: In) -> PResult<Prop> {
    use PropertyId as P;
    const V: &str = "property value";
    match id {
        P::PayloadFormatIndicator => {
            let (i, b) = byte(V)(i)?;
            let format = match b {
                0 => PayloadFormat::Unspecified,
                1 => PayloadFormat::Utf8,
                _ => return Err(protocol_error("payload format indicator other than 0 or 1")),
            };
            Ok((i, Prop::PayloadFormat(format)))
        }
        P::MessageExpiryInterval => four_bytes(V).map(Prop::MessageExpiry).parse(i),
        P::ContentType => string(V).map(Prop::ContentType).parse(i),
        P::ResponseTopic => {
            // A Topic Name: no wildcards [MQTT-3.1.3-11, MQTT-3.3.2-14].
            let (i, raw) = binary_slice(V).parse(i)?;
            Ok((i, Prop::ResponseTopic(check_topic_name(raw)?)))
        }
        P::CorrelationData => binary(V).map(Prop::CorrelationData).parse(i),
        P::SubscriptionIdentifier => {
            let (i, n) = varint("subscription identifier")(i)?;
            // "It is a Protocol Error if the Subscription Identifier has a value of 0."
            let id = SubscriptionId::new(n)
                .ok_or_else(|| protocol_error("subscription identifier 0"))?;
            Ok((i, Prop::SubscriptionId(id)))
        }
        P::SessionExpiryInterval => four_bytes(V).map(Prop::SessionExpiry).parse(i),
        P::AssignedClientIdentifier => string(V).map(Prop::AssignedClientId).parse(i),
        P::ServerKeepAlive => two_bytes(V).map(Prop::ServerKeepAlive).parse(i),
        P::AuthenticationMethod => string(V).map(Prop::AuthMethod).parse(i),
        P::AuthenticationData => binary(V).map(Prop::AuthData).parse(i),
        P::RequestProblemInformation => {
            let (i, b) = flag(i, V)?;
            Ok((i, Prop::RequestProblemInfo(b)))
        }
        P::WillDelayInterval => four_bytes(V).map(Prop::WillDelay).parse(i),
        P::RequestResponseInformation => {
            let (i, b) = flag(i, V)?;
            Ok((i, Prop::RequestResponseInfo(b)))
        }
        P::ResponseInformation => string(V).map(Prop::ResponseInfo).parse(i),
        P::ServerReference => string(V).map(Prop::ServerReference).parse(i),
        P::ReasonString => string(V).map(Prop::ReasonString).parse(i),
        P::ReceiveMaximum => {
            let (i, n) = two_bytes(V)(i)?;
            // "It is a Protocol Error to include the Receive Maximum value more than once or for it to have the value 0."
            let n = NonZeroU16::new(n).ok_or_else(|| protocol_error("receive maximum 0"))?;
            Ok((i, Prop::ReceiveMaximum(n)))
        }
        P::TopicAliasMaximum => two_bytes(V).map(Prop::TopicAliasMaximum).parse(i),
        P::TopicAlias => {
            let (i, n) = two_bytes(V)(i)?;
            // "A Topic Alias of 0 is not permitted." (3.3.2.3.4)
            let n = NonZeroU16::new(n).ok_or_else(|| protocol_error("topic alias 0"))?;
            Ok((i, Prop::TopicAlias(n)))
        }
        P::MaximumQoS => {
            let (i, b) = byte(V)(i)?;
            // "It is a Protocol Error to include Maximum QoS more than once, or to have a value other than 0 or 1."
            let qos = match b {
                0 => QoS::AtMostOnce,
                1 => QoS::AtLeastOnce,
                _ => return Err(protocol_error("maximum QoS other than 0 or 1")),
            };
            Ok((i, Prop::MaximumQoS(qos)))
        }
        P::RetainAvailable => {
            let (i, b) = flag(i, V)?;
            Ok((i, Prop::RetainAvailable(b)))
        }
        P::UserProperty => string_pair("user property").map(Prop::User).parse(i),
        P::MaximumPacketSize => {
            let (i, n) = four_bytes(V)(i)?;
            // "It is a Protocol Error to include the Maximum Packet Size more than once, or for the value to be set to zero."
            let n = NonZeroU32::new(n).ok_or_else(|| protocol_error("maximum packet size 0"))?;
            Ok((i, Prop::MaximumPacketSize(n)))
        }
        P::WildcardSubscriptionAvailable => {
            let (i, b) = flag(i, V)?;
            Ok((i, Prop::WildcardAvailable(b)))
        }
        P::SubscriptionIdentifierAvailable => {
            let (i, b) = flag(i, V)?;
            Ok((i, Prop::SubscriptionIdsAvailable(b)))
        }
        P::SharedSubscriptionAvailable => {
            let (i, b) = flag(i, V)?;
            Ok((i, Prop::SharedAvailable(b)))
        }
    }
}

/// The properties inside a property section, in order. Each identifier is
/// checked when it is read: an unknown one or one the packet may not carry
/// is malformed (2.2.2.2), a repeated one a Protocol Error.
fn property_list(place: Place) -> impl FnMut(In) -> PResult<Vec<(PropertyId, Prop)>> {
    move |mut i: In| {
        let mut props: Vec<(PropertyId, Prop)> = Vec::new();
        while !i.is_empty() {
            // The identifier is a Variable Byte Integer (2.2.2.2); every
            // defined one is below 128, so a longer encoding names none of them.
            let (rest, raw) = varint("property identifier")(i)?;
            let id = u8::try_from(raw)
                .ok()
                .filter(|_| i[0] & 0x80 == 0)
                .and_then(PropertyId::from_u8)
                .ok_or_else(|| malformed("unknown property identifier"))?;
            if !allowed(id, place) {
                return Err(malformed("property not allowed in this packet"));
            }
            if !repeatable(id, place) && props.iter().any(|(seen, _)| *seen == id) {
                return Err(protocol_error("property included more than once"));
            }
            let (rest, prop) = value(id, rest)?;
            props.push((id, prop));
            i = rest;
        }
        Ok((i, props))
    }
}

/// A property section: its length as a Variable Byte Integer, then exactly
/// that many bytes of properties; a property running past the length is
/// malformed.
fn section(place: Place) -> impl FnMut(In) -> PResult<Vec<(PropertyId, Prop)>> {
    move |i| {
        context(
            "properties",
            complete(length_value(
                varint("property length"),
                property_list(place),
            )),
        )
        .parse(i)
    }
}

/// Reached when `allowed` let through a property the group has no field
/// for: the table and the assembly below disagree, a bug of this module.
fn table_bug(group: &str, prop: Prop) -> ! {
    unreachable!("reference property table admits {prop:?} in {group}")
}

/// CONNECT properties (3.1.2.11).
pub(super) fn connect(i: In) -> PResult<ConnectProperties> {
    let (i, props) = section(Place::Connect)(i)?;
    let mut g = ConnectProperties::default();
    for (_, prop) in props {
        match prop {
            Prop::SessionExpiry(v) => g.session_expiry_interval = Some(v),
            Prop::ReceiveMaximum(v) => g.receive_maximum = Some(v),
            Prop::MaximumPacketSize(v) => g.maximum_packet_size = Some(v),
            Prop::TopicAliasMaximum(v) => g.topic_alias_maximum = Some(v),
            Prop::RequestResponseInfo(v) => g.request_response_information = Some(v),
            Prop::RequestProblemInfo(v) => g.request_problem_information = Some(v),
            Prop::User(v) => g.user_properties.push(v),
            Prop::AuthMethod(v) => g.authentication_method = Some(v),
            Prop::AuthData(v) => g.authentication_data = Some(v),
            other => table_bug("CONNECT", other),
        }
    }
    Ok((i, g))
}

/// Will properties (3.1.3.2).
pub(super) fn will(i: In) -> PResult<WillProperties> {
    let (i, props) = section(Place::Will)(i)?;
    let mut g = WillProperties::default();
    for (_, prop) in props {
        match prop {
            Prop::WillDelay(v) => g.will_delay_interval = Some(v),
            Prop::PayloadFormat(v) => g.payload_format_indicator = Some(v),
            Prop::MessageExpiry(v) => g.message_expiry_interval = Some(v),
            Prop::ContentType(v) => g.content_type = Some(v),
            Prop::ResponseTopic(v) => g.response_topic = Some(v),
            Prop::CorrelationData(v) => g.correlation_data = Some(v),
            Prop::User(v) => g.user_properties.push(v),
            other => table_bug("will properties", other),
        }
    }
    Ok((i, g))
}

/// CONNACK properties (3.2.2.3).
pub(super) fn connack(i: In) -> PResult<ConnAckProperties> {
    let (i, props) = section(Place::ConnAck)(i)?;
    let mut g = ConnAckProperties::default();
    for (_, prop) in props {
        match prop {
            Prop::SessionExpiry(v) => g.session_expiry_interval = Some(v),
            Prop::ReceiveMaximum(v) => g.receive_maximum = Some(v),
            Prop::MaximumQoS(v) => g.maximum_qos = Some(v),
            Prop::RetainAvailable(v) => g.retain_available = Some(v),
            Prop::MaximumPacketSize(v) => g.maximum_packet_size = Some(v),
            Prop::AssignedClientId(v) => g.assigned_client_identifier = Some(v),
            Prop::TopicAliasMaximum(v) => g.topic_alias_maximum = Some(v),
            Prop::ReasonString(v) => g.reason_string = Some(v),
            Prop::User(v) => g.user_properties.push(v),
            Prop::WildcardAvailable(v) => g.wildcard_subscription_available = Some(v),
            Prop::SubscriptionIdsAvailable(v) => g.subscription_identifiers_available = Some(v),
            Prop::SharedAvailable(v) => g.shared_subscription_available = Some(v),
            Prop::ServerKeepAlive(v) => g.server_keep_alive = Some(v),
            Prop::ResponseInfo(v) => g.response_information = Some(v),
            Prop::ServerReference(v) => g.server_reference = Some(v),
            Prop::AuthMethod(v) => g.authentication_method = Some(v),
            Prop::AuthData(v) => g.authentication_data = Some(v),
            other => table_bug("CONNACK", other),
        }
    }
    Ok((i, g))
}

/// PUBLISH properties (3.3.2.3).
pub(super) fn publish(i: In) -> PResult<PublishProperties> {
    let (i, props) = section(Place::Publish)(i)?;
    let mut g = PublishProperties::default();
    for (_, prop) in props {
        match prop {
            Prop::PayloadFormat(v) => g.payload_format_indicator = Some(v),
            Prop::MessageExpiry(v) => g.message_expiry_interval = Some(v),
            Prop::TopicAlias(v) => g.topic_alias = Some(v),
            Prop::ResponseTopic(v) => g.response_topic = Some(v),
            Prop::CorrelationData(v) => g.correlation_data = Some(v),
            Prop::User(v) => g.user_properties.push(v),
            Prop::SubscriptionId(v) => g.subscription_identifiers.push(v),
            Prop::ContentType(v) => g.content_type = Some(v),
            other => table_bug("PUBLISH", other),
        }
    }
    Ok((i, g))
}

/// Properties of PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK and UNSUBACK
/// (3.4.2.2, 3.5.2.2, 3.6.2.2, 3.7.2.2, 3.9.2.1, 3.11.2.1).
pub(super) fn ack(place: Place) -> impl FnMut(In) -> PResult<AckProperties> {
    move |i| {
        let (i, props) = section(place)(i)?;
        let mut g = AckProperties::default();
        for (_, prop) in props {
            match prop {
                Prop::ReasonString(v) => g.reason_string = Some(v),
                Prop::User(v) => g.user_properties.push(v),
                other => table_bug("an acknowledgement", other),
            }
        }
        Ok((i, g))
    }
}

/// SUBSCRIBE properties (3.8.2.1).
pub(super) fn subscribe(i: In) -> PResult<SubscribeProperties> {
    let (i, props) = section(Place::Subscribe)(i)?;
    let mut g = SubscribeProperties::default();
    for (_, prop) in props {
        match prop {
            Prop::SubscriptionId(v) => g.subscription_identifier = Some(v),
            Prop::User(v) => g.user_properties.push(v),
            other => table_bug("SUBSCRIBE", other),
        }
    }
    Ok((i, g))
}

/// UNSUBSCRIBE properties (3.10.2.1).
pub(super) fn unsubscribe(i: In) -> PResult<UnsubscribeProperties> {
    let (i, props) = section(Place::Unsubscribe)(i)?;
    let mut g = UnsubscribeProperties::default();
    for (_, prop) in props {
        match prop {
            Prop::User(v) => g.user_properties.push(v),
            other => table_bug("UNSUBSCRIBE", other),
        }
    }
    Ok((i, g))
}

/// DISCONNECT properties (3.14.2.2).
pub(super) fn disconnect(i: In) -> PResult<DisconnectProperties> {
    let (i, props) = section(Place::Disconnect)(i)?;
    let mut g = DisconnectProperties::default();
    for (_, prop) in props {
        match prop {
            Prop::SessionExpiry(v) => g.session_expiry_interval = Some(v),
            Prop::ReasonString(v) => g.reason_string = Some(v),
            Prop::User(v) => g.user_properties.push(v),
            Prop::ServerReference(v) => g.server_reference = Some(v),
            other => table_bug("DISCONNECT", other),
        }
    }
    Ok((i, g))
}

/// AUTH properties (3.15.2.2).
pub(super) fn auth(i: In) -> PResult<AuthProperties> {
    let (i, props) = section(Place::Auth)(i)?;
    let mut g = AuthProperties::default();
    for (_, prop) in props {
        match prop {
            Prop::AuthMethod(v) => g.authentication_method = Some(v),
            Prop::AuthData(v) => g.authentication_data = Some(v),
            Prop::ReasonString(v) => g.reason_string = Some(v),
            Prop::User(v) => g.user_properties.push(v),
            other => table_bug("AUTH", other),
        }
    }
    Ok((i, g))
}
