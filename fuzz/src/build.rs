//! Builds packets from fuzz input. The packet model does not implement
//! `Arbitrary` (its types only hold valid values); these builders draw
//! choices from an [`Unstructured`] and only ever produce packets that the
//! chosen version can carry, so the encoder must accept every one of them.

use crate::VERSIONS;
use arbitrary::{Error, Result, Unstructured};
use bytes::Bytes;
use core::num::{NonZeroU16, NonZeroU32};
use mqtt_proto::{
    Ack, AckProperties, Auth, AuthProperties, ConnAck, ConnAckProperties, Connect,
    ConnectProperties, Delivery, Disconnect, DisconnectProperties, LastWill, MqttString, Packet,
    PacketId, PacketType, PayloadFormat, ProtocolVersion, Publish, PublishProperties, QoS,
    ReasonCode, RetainHandling, SubAck, Subscribe, SubscribeProperties, Subscription,
    SubscriptionId, SubscriptionOptions, TopicFilter, TopicName, UnsubAck, Unsubscribe,
    UnsubscribeProperties, UserProperty, WillProperties,
};

/// Topic levels worth hitting: empty, `$`-prefixed, multi-byte UTF-8.
const LEVELS: &[&str] = &[
    "a", "b", "sport", "", "$SYS", "é", "日本", "🦀", "x y", "\u{FEFF}",
];

/// A version and a packet it can carry.
pub fn packet(u: &mut Unstructured) -> Result<(ProtocolVersion, Packet)> {
    let version = *u.choose(&VERSIONS)?;
    let types: &[PacketType] = &[
        PacketType::Connect,
        PacketType::ConnAck,
        PacketType::Publish,
        PacketType::PubAck,
        PacketType::PubRec,
        PacketType::PubRel,
        PacketType::PubComp,
        PacketType::Subscribe,
        PacketType::SubAck,
        PacketType::Unsubscribe,
        PacketType::UnsubAck,
        PacketType::PingReq,
        PacketType::PingResp,
        PacketType::Disconnect,
        PacketType::Auth,
    ];
    let mut t = *u.choose(types)?;
    if t == PacketType::Auth && !version.is_v5() {
        t = PacketType::PingReq;
    }
    let v5 = version.is_v5();
    let p = match t {
        PacketType::Connect => Packet::from(connect(u, version)?),
        PacketType::ConnAck => Packet::from(connack(u, version)?),
        PacketType::Publish => Packet::Publish(publish(u, version)?),
        PacketType::PubAck => Packet::PubAck(ack(u, version, t)?),
        PacketType::PubRec => Packet::PubRec(ack(u, version, t)?),
        PacketType::PubRel => Packet::PubRel(ack(u, version, t)?),
        PacketType::PubComp => Packet::PubComp(ack(u, version, t)?),
        PacketType::Subscribe => Packet::Subscribe(subscribe(u, version)?),
        PacketType::SubAck => Packet::SubAck(SubAck {
            packet_id: packet_id(u)?,
            reasons: reasons(u, version, PacketType::SubAck)?,
            properties: if v5 {
                ack_properties(u)?.into()
            } else {
                Default::default()
            },
        }),
        PacketType::Unsubscribe => Packet::Unsubscribe(Unsubscribe {
            packet_id: packet_id(u)?,
            filters: {
                let mut filters = vec![topic_filter(u)?.0];
                while filters.len() < 8 && u.arbitrary::<bool>()? {
                    filters.push(topic_filter(u)?.0);
                }
                filters
            },
            properties: UnsubscribeProperties {
                user_properties: if v5 { user_properties(u)? } else { Vec::new() },
            },
        }),
        PacketType::UnsubAck => Packet::UnsubAck(if v5 {
            UnsubAck {
                packet_id: packet_id(u)?,
                reasons: reasons(u, version, PacketType::UnsubAck)?,
                properties: ack_properties(u)?.into(),
            }
        } else {
            UnsubAck {
                packet_id: packet_id(u)?,
                reasons: Vec::new(),
                properties: Default::default(),
            }
        }),
        PacketType::PingReq => Packet::PingReq,
        PacketType::PingResp => Packet::PingResp,
        PacketType::Disconnect => Packet::Disconnect(if v5 {
            Disconnect {
                reason: reason(u, PacketType::Disconnect)?,
                properties: DisconnectProperties {
                    session_expiry_interval: opt(u, |u| u.arbitrary())?,
                    reason_string: opt(u, string)?,
                    user_properties: user_properties(u)?,
                    server_reference: opt(u, string)?,
                }
                .into(),
            }
        } else {
            Disconnect::default()
        }),
        PacketType::Auth => Packet::Auth(Auth {
            reason: reason(u, PacketType::Auth)?,
            properties: AuthProperties {
                // Every AUTH carries its method (section 3.15.2.2.2).
                authentication_method: Some(string(u)?),
                authentication_data: opt(u, binary)?,
                reason_string: opt(u, string)?,
                user_properties: user_properties(u)?,
            }
            .into(),
        }),
    };
    Ok((version, p))
}

fn opt<T>(
    u: &mut Unstructured,
    f: impl FnOnce(&mut Unstructured) -> Result<T>,
) -> Result<Option<T>> {
    if u.arbitrary()? {
        Ok(Some(f(u)?))
    } else {
        Ok(None)
    }
}

/// Any MQTT string: arbitrary UTF-8 without U+0000.
pub fn string(u: &mut Unstructured) -> Result<MqttString> {
    let s: String = u.arbitrary()?;
    MqttString::new(s.replace('\0', "")).map_err(|_| Error::IncorrectFormat)
}

fn binary(u: &mut Unstructured) -> Result<Bytes> {
    let b: &[u8] = u.arbitrary()?;
    Ok(Bytes::copy_from_slice(b))
}

/// A level without `/`, `+`, `#` or U+0000.
fn level(u: &mut Unstructured) -> Result<String> {
    if u.arbitrary()? {
        return Ok((*u.choose(LEVELS)?).to_owned());
    }
    let s: String = u.arbitrary()?;
    Ok(s.chars()
        .filter(|c| !matches!(c, '/' | '+' | '#' | '\0'))
        .take(12)
        .collect())
}

/// A topic name: one to five levels, never empty, no wildcards.
pub fn topic_name(u: &mut Unstructured) -> Result<TopicName> {
    let n = u.int_in_range(1..=5)?;
    let mut levels = Vec::with_capacity(n);
    for _ in 0..n {
        levels.push(level(u)?);
    }
    let mut name = levels.join("/");
    if name.is_empty() {
        name.push('t');
    }
    TopicName::new(name).map_err(|_| Error::IncorrectFormat)
}

/// A topic filter with wildcards on whole levels and `#` last, sometimes a
/// shared subscription; and whether it is shared.
pub fn topic_filter(u: &mut Unstructured) -> Result<(TopicFilter, bool)> {
    let n = u.int_in_range(1..=5)?;
    let mut levels = Vec::with_capacity(n);
    for i in 0..n {
        levels.push(match u.int_in_range(0..=5)? {
            0 => "+".to_owned(),
            1 if i == n - 1 => "#".to_owned(),
            _ => level(u)?,
        });
    }
    let mut filter = levels.join("/");
    if filter.is_empty() {
        filter.push('f');
    }
    if u.ratio(1, 4)? {
        let mut name = level(u)?;
        if name.is_empty() {
            name.push('g');
        }
        filter = format!("$share/{name}/{filter}");
    }
    let filter = TopicFilter::new(filter).map_err(|_| Error::IncorrectFormat)?;
    // Levels can spell `$share/...` by themselves: the parsed filter decides.
    let shared = filter.is_shared();
    Ok((filter, shared))
}

fn packet_id(u: &mut Unstructured) -> Result<PacketId> {
    Ok(PacketId::new(u.int_in_range(1..=u16::MAX)?).expect("non-zero"))
}

fn user_properties(u: &mut Unstructured) -> Result<Vec<UserProperty>> {
    let mut out = Vec::new();
    while out.len() < 4 && u.ratio(1, 3)? {
        out.push((string(u)?, string(u)?));
    }
    Ok(out)
}

/// A 5.0 reason code `packet` may carry.
fn reason(u: &mut Unstructured, packet: PacketType) -> Result<ReasonCode> {
    let valid: Vec<ReasonCode> = (0..=u8::MAX)
        .filter_map(ReasonCode::from_u8)
        .filter(|r| r.is_valid_for(packet))
        .collect();
    Ok(*u.choose(&valid)?)
}

/// One to eight results of SUBACK or (5.0) UNSUBACK.
fn reasons(
    u: &mut Unstructured,
    version: ProtocolVersion,
    packet: PacketType,
) -> Result<Vec<ReasonCode>> {
    let n = u.int_in_range(1..=8)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(if version.is_v5() {
            reason(u, packet)?
        } else {
            let code = *u.choose(&[0u8, 1, 2, 0x80])?;
            ReasonCode::from_v3_suback(code).expect("a 3.x SUBACK code")
        });
    }
    Ok(out)
}

fn ack_properties(u: &mut Unstructured) -> Result<AckProperties> {
    Ok(AckProperties {
        reason_string: opt(u, string)?,
        user_properties: user_properties(u)?,
    })
}

fn subscription_id(u: &mut Unstructured) -> Result<SubscriptionId> {
    let v = u.int_in_range(1..=SubscriptionId::MAX)?;
    Ok(SubscriptionId::new(v).expect("in range"))
}

fn qos(u: &mut Unstructured) -> Result<QoS> {
    Ok(*u.choose(&[QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce])?)
}

fn payload_format(u: &mut Unstructured) -> Result<PayloadFormat> {
    Ok(*u.choose(&[PayloadFormat::Unspecified, PayloadFormat::Utf8])?)
}

/// A CONNECT; usually of `version`, sometimes of another version (it is
/// written and read at its own version whatever the connection's).
fn connect(u: &mut Unstructured, version: ProtocolVersion) -> Result<Connect> {
    let protocol = if u.ratio(1, 4)? {
        *u.choose(&VERSIONS)?
    } else {
        version
    };
    let v5 = protocol.is_v5();
    let mut client_id = string(u)?;
    // MQTT 3.1: 1 to 23 bytes.
    if protocol == ProtocolVersion::V3_1 && !(1..=23).contains(&client_id.len()) {
        client_id =
            MqttString::new(format!("c{}", u.int_in_range(0..=9999u32)?)).expect("valid client id");
    }
    let will = if u.arbitrary()? {
        Some(LastWill {
            topic: topic_name(u)?,
            payload: binary(u)?,
            qos: qos(u)?,
            retain: u.arbitrary()?,
            properties: if v5 && u.arbitrary()? {
                WillProperties {
                    will_delay_interval: opt(u, |u| u.arbitrary())?,
                    payload_format_indicator: opt(u, payload_format)?,
                    message_expiry_interval: opt(u, |u| u.arbitrary())?,
                    content_type: opt(u, string)?,
                    response_topic: opt(u, topic_name)?,
                    correlation_data: opt(u, binary)?,
                    user_properties: user_properties(u)?,
                }
            } else {
                WillProperties::default()
            },
        })
    } else {
        None
    };
    let username = opt(u, string)?;
    // Before 5.0 a password needs a user name [MQTT-3.1.2-22].
    let password = if v5 || username.is_some() {
        opt(u, binary)?
    } else {
        None
    };
    let properties = if v5 && u.arbitrary()? {
        ConnectProperties {
            session_expiry_interval: opt(u, |u| u.arbitrary())?,
            receive_maximum: opt(u, |u| Ok(NonZeroU16::new(u.int_in_range(1..=u16::MAX)?)))?
                .flatten(),
            maximum_packet_size: opt(u, |u| Ok(NonZeroU32::new(u.int_in_range(1..=u32::MAX)?)))?
                .flatten(),
            topic_alias_maximum: opt(u, |u| u.arbitrary())?,
            request_response_information: opt(u, |u| u.arbitrary())?,
            request_problem_information: opt(u, |u| u.arbitrary())?,
            user_properties: user_properties(u)?,
            authentication_method: opt(u, string)?,
            authentication_data: opt(u, binary)?,
        }
    } else {
        ConnectProperties::default()
    };
    Ok(Connect {
        protocol,
        clean_start: u.arbitrary()?,
        keep_alive: u.arbitrary()?,
        client_id,
        will,
        username,
        password,
        properties,
    })
}

fn connack(u: &mut Unstructured, version: ProtocolVersion) -> Result<ConnAck> {
    let reason = if version.is_v5() {
        reason(u, PacketType::ConnAck)?
    } else {
        ReasonCode::from_v3_connack(u.int_in_range(0..=5)?).expect("a 3.x CONNACK code")
    };
    // Session Present only with Success [MQTT-3.2.2-4, MQTT-3.2.2-6].
    let session_present = reason == ReasonCode::Success && u.arbitrary()?;
    let properties = if version.is_v5() && u.arbitrary()? {
        ConnAckProperties {
            session_expiry_interval: opt(u, |u| u.arbitrary())?,
            receive_maximum: opt(u, |u| Ok(NonZeroU16::new(u.int_in_range(1..=u16::MAX)?)))?
                .flatten(),
            // On the wire only 0 and 1 exist; absence means 2.
            maximum_qos: opt(u, |u| Ok(*u.choose(&[QoS::AtMostOnce, QoS::AtLeastOnce])?))?,
            retain_available: opt(u, |u| u.arbitrary())?,
            maximum_packet_size: opt(u, |u| Ok(NonZeroU32::new(u.int_in_range(1..=u32::MAX)?)))?
                .flatten(),
            assigned_client_identifier: opt(u, string)?,
            topic_alias_maximum: opt(u, |u| u.arbitrary())?,
            reason_string: opt(u, string)?,
            user_properties: user_properties(u)?,
            wildcard_subscription_available: opt(u, |u| u.arbitrary())?,
            subscription_identifiers_available: opt(u, |u| u.arbitrary())?,
            shared_subscription_available: opt(u, |u| u.arbitrary())?,
            server_keep_alive: opt(u, |u| u.arbitrary())?,
            response_information: opt(u, string)?,
            server_reference: opt(u, string)?,
            authentication_method: opt(u, string)?,
            authentication_data: opt(u, binary)?,
        }
    } else {
        ConnAckProperties::default()
    };
    Ok(ConnAck {
        session_present,
        reason,
        properties,
    })
}

fn publish(u: &mut Unstructured, version: ProtocolVersion) -> Result<Publish> {
    let v5 = version.is_v5();
    let delivery = match qos(u)? {
        QoS::AtMostOnce => Delivery::AtMostOnce,
        q => Delivery::with_id(q, packet_id(u)?),
    };
    // DUP only on QoS 1 and 2 [MQTT-3.3.1-2].
    let dup = delivery != Delivery::AtMostOnce && u.arbitrary()?;
    let mut properties = if v5 && u.arbitrary()? {
        PublishProperties {
            payload_format_indicator: opt(u, payload_format)?,
            message_expiry_interval: opt(u, |u| u.arbitrary())?,
            topic_alias: opt(u, |u| Ok(NonZeroU16::new(u.int_in_range(1..=u16::MAX)?)))?.flatten(),
            response_topic: opt(u, topic_name)?,
            correlation_data: opt(u, binary)?,
            user_properties: user_properties(u)?,
            subscription_identifiers: {
                let mut ids = Vec::new();
                while ids.len() < 4 && u.ratio(1, 3)? {
                    ids.push(subscription_id(u)?);
                }
                ids
            },
            content_type: opt(u, string)?,
        }
    } else {
        PublishProperties::default()
    };
    // In 5.0 a Topic Alias may stand for the topic name [MQTT-3.3.2-1].
    let topic = if v5 && u.ratio(1, 4)? {
        properties
            .topic_alias
            .get_or_insert(NonZeroU16::new(1).expect("non-zero"));
        None
    } else {
        Some(topic_name(u)?)
    };
    Ok(Publish {
        dup,
        delivery,
        retain: u.arbitrary()?,
        topic,
        payload: binary(u)?,
        properties: properties.into(),
    })
}

fn ack(u: &mut Unstructured, version: ProtocolVersion, t: PacketType) -> Result<Ack> {
    let packet_id = packet_id(u)?;
    if !version.is_v5() {
        return Ok(Ack::new(packet_id));
    }
    Ok(Ack {
        packet_id,
        reason: reason(u, t)?,
        properties: ack_properties(u)?.into(),
    })
}

fn subscribe(u: &mut Unstructured, version: ProtocolVersion) -> Result<Subscribe> {
    let v5 = version.is_v5();
    let n = u.int_in_range(1..=8)?;
    let mut subscriptions = Vec::with_capacity(n);
    for _ in 0..n {
        let (filter, shared) = topic_filter(u)?;
        let q = qos(u)?;
        let options = if v5 {
            SubscriptionOptions {
                qos: q,
                // No Local on a shared subscription is a Protocol Error [MQTT-3.8.3-4].
                no_local: !shared && u.arbitrary()?,
                retain_as_published: u.arbitrary()?,
                retain_handling: *u.choose(&[
                    RetainHandling::SendAtSubscribe,
                    RetainHandling::SendAtNewSubscribe,
                    RetainHandling::DoNotSend,
                ])?,
            }
        } else {
            SubscriptionOptions::new(q)
        };
        subscriptions.push(Subscription { filter, options });
    }
    let properties = if v5 {
        SubscribeProperties {
            subscription_identifier: opt(u, subscription_id)?,
            user_properties: user_properties(u)?,
        }
    } else {
        SubscribeProperties::default()
    };
    Ok(Subscribe {
        packet_id: packet_id(u)?,
        subscriptions,
        properties,
    })
}
