use super::frame::sealed::Body;
use super::PacketType;
use crate::error::{DecodeError, EncodeError};
use crate::properties::ReadSection;
use crate::properties::{AckProperties, PropertyBox, SubscribeProperties};
use crate::qos::{PacketId, QoS};
use crate::reason::ReasonCode;
use crate::topic::TopicFilter;
use crate::version::ProtocolVersion;
use crate::wire::{put_prefixed, Put, Reader};
use bytes::BytesMut;

/// When the server sends retained messages for a new subscription (5.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[doc(alias = "retainHandling")]
pub enum RetainHandling {
    /// 0: at every subscribe.
    #[default]
    #[doc(alias = "RETAIN_SEND_ON_SUBSCRIBE")]
    SendAtSubscribe = 0,
    /// 1: only when the subscription did not exist.
    #[doc(alias = "RETAIN_SEND_IF_NEW_SUB")]
    SendAtNewSubscribe = 1,
    /// 2: never.
    #[doc(alias = "RETAIN_DO_NOT_SEND")]
    DoNotSend = 2,
}

/// The options of one subscription. Only `qos` exists before 5.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[doc(alias = "SubscribeOptions")]
pub struct SubscriptionOptions {
    /// The maximum QoS the server may deliver with.
    pub qos: QoS,
    /// Do not receive our own publishes (5.0).
    pub no_local: bool,
    /// Keep the retain flag as published instead of clearing it (5.0).
    pub retain_as_published: bool,
    /// When retained messages are sent (5.0).
    pub retain_handling: RetainHandling,
}

impl SubscriptionOptions {
    /// Options with `qos` and 5.0 defaults.
    ///
    /// ```
    /// use mqtt_proto::{QoS, RetainHandling, SubscriptionOptions};
    /// let o = SubscriptionOptions::new(QoS::AtLeastOnce)
    ///     .no_local(true)
    ///     .retain_handling(RetainHandling::DoNotSend);
    /// assert!(o.no_local && !o.retain_as_published);
    /// ```
    pub fn new(qos: QoS) -> Self {
        Self {
            qos,
            ..Self::default()
        }
    }

    /// Sets No Local (5.0): do not receive our own publishes.
    #[must_use]
    #[doc(alias = "noLocal")]
    pub fn no_local(mut self, no_local: bool) -> Self {
        self.no_local = no_local;
        self
    }

    /// Sets Retain As Published (5.0).
    #[must_use]
    #[doc(alias = "retainAsPublished")]
    pub fn retain_as_published(mut self, keep: bool) -> Self {
        self.retain_as_published = keep;
        self
    }

    /// Sets Retain Handling (5.0).
    #[must_use]
    #[doc(alias = "retainHandling")]
    pub fn retain_handling(mut self, handling: RetainHandling) -> Self {
        self.retain_handling = handling;
        self
    }

    fn to_byte(self) -> u8 {
        (self.qos as u8)
            | (u8::from(self.no_local) << 2)
            | (u8::from(self.retain_as_published) << 3)
            | ((self.retain_handling as u8) << 4)
    }

    fn from_byte(byte: u8, version: ProtocolVersion) -> Result<Self, DecodeError> {
        let reserved = if version.is_v5() { 0xC0 } else { 0xFC };
        if byte & reserved != 0 {
            return Err(DecodeError::InvalidSubscriptionOptions(byte));
        }
        // 3.1.1 counts QoS 3 among the malformed option bytes [MQTT-3-8.3-4];
        // 5.0 makes it a Protocol Error (section 3.8.3.1).
        let qos = QoS::from_u8(byte & 0x03).ok_or(if version.is_v5() {
            DecodeError::InvalidSubscriptionQoS
        } else {
            DecodeError::InvalidSubscriptionOptions(byte)
        })?;
        let retain_handling = match (byte >> 4) & 0x03 {
            0 => RetainHandling::SendAtSubscribe,
            1 => RetainHandling::SendAtNewSubscribe,
            2 => RetainHandling::DoNotSend,
            _ => return Err(DecodeError::InvalidRetainHandling),
        };
        Ok(Self {
            qos,
            no_local: byte & 0x04 != 0,
            retain_as_published: byte & 0x08 != 0,
            retain_handling,
        })
    }
}

/// One topic filter of a SUBSCRIBE with its options.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subscription {
    /// The filter.
    pub filter: TopicFilter,
    /// The options.
    pub options: SubscriptionOptions,
}

impl Subscription {
    /// A subscription to `filter` at `qos`.
    pub fn new(filter: TopicFilter, qos: QoS) -> Self {
        Self {
            filter,
            options: SubscriptionOptions::new(qos),
        }
    }
}

/// A SUBSCRIBE packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribe {
    /// The packet identifier.
    pub packet_id: PacketId,
    /// One or more subscriptions.
    pub subscriptions: Vec<Subscription>,
    /// SUBSCRIBE properties (5.0).
    pub properties: SubscribeProperties,
}

impl Subscribe {
    pub(crate) fn decode(r: &mut Reader, version: ProtocolVersion) -> Result<Self, DecodeError> {
        let packet_id = read_packet_id(r, PacketType::Subscribe)?;
        let properties = if version.is_v5() {
            SubscribeProperties::read(r)?
        } else {
            SubscribeProperties::default()
        };
        let mut subscriptions = Vec::new();
        while r.remaining() > 0 {
            let filter = read_filter(r, version)?;
            let options = SubscriptionOptions::from_byte(r.u8("subscription options")?, version)?;
            if options.no_local && filter.is_shared() {
                return Err(DecodeError::NoLocalOnSharedSubscription);
            }
            subscriptions.push(Subscription { filter, options });
        }
        if subscriptions.is_empty() {
            return Err(DecodeError::EmptySubscribe);
        }
        Ok(Self {
            packet_id,
            subscriptions,
            properties,
        })
    }
}

impl Body for Subscribe {
    fn packet_type(&self) -> PacketType {
        PacketType::Subscribe
    }

    fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        if self.subscriptions.is_empty() {
            return Err(EncodeError::NoTopicFilters(PacketType::Subscribe));
        }
        let mut len = 2;
        for s in &self.subscriptions {
            if version.is_v5() {
                check_v5(&s.filter)?;
            }
            if s.options.no_local && s.filter.is_shared() {
                return Err(EncodeError::NoLocalOnSharedSubscription);
            }
            if !version.is_v5() && s.options != SubscriptionOptions::new(s.options.qos) {
                return Err(EncodeError::SubscriptionOptionsNotSupported);
            }
            len += 2 + s.filter.len() + 1;
        }
        len += properties_len(version, "SUBSCRIBE", self.properties.is_empty(), || {
            self.properties.check()?;
            Ok(self.properties.wire_len())
        })?;
        Ok(len)
    }

    fn write_body(&self, version: ProtocolVersion, buf: &mut BytesMut) {
        buf.put_u16(self.packet_id.get());
        if version.is_v5() {
            self.properties.write(buf);
        }
        for s in &self.subscriptions {
            put_prefixed(buf, s.filter.as_bytes());
            buf.put_u8(s.options.to_byte());
        }
    }
}

/// A SUBACK packet: one result per requested subscription, in order. 3.x
/// return codes map onto reason codes (see [`ReasonCode::from_v3_suback`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubAck {
    /// The identifier of the SUBSCRIBE acknowledged.
    pub packet_id: PacketId,
    /// The granted QoS or failure of each subscription.
    pub reasons: Vec<ReasonCode>,
    /// Reason string and user properties (5.0).
    pub properties: PropertyBox<AckProperties>,
}

impl SubAck {
    pub(crate) fn decode(r: &mut Reader, version: ProtocolVersion) -> Result<Self, DecodeError> {
        let packet_id = read_packet_id(r, PacketType::SubAck)?;
        let properties = if version.is_v5() {
            AckProperties::read(r)?.into()
        } else {
            PropertyBox::new()
        };
        let reasons = read_reasons(r, PacketType::SubAck, version)?;
        Ok(Self {
            packet_id,
            reasons,
            properties,
        })
    }
}

impl Body for SubAck {
    fn packet_type(&self) -> PacketType {
        PacketType::SubAck
    }

    fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        check_reasons(&self.reasons, PacketType::SubAck, version)?;
        let props = properties_len(version, "SUBACK", self.properties.is_empty(), || {
            self.properties.check()?;
            Ok(self.properties.wire_len())
        })?;
        Ok(2 + props + self.reasons.len())
    }

    fn write_body(&self, version: ProtocolVersion, buf: &mut BytesMut) {
        buf.put_u16(self.packet_id.get());
        if version.is_v5() {
            self.properties.write(buf);
        }
        write_reasons(&self.reasons, version, buf);
    }
}

pub(super) fn read_packet_id(r: &mut Reader, packet: PacketType) -> Result<PacketId, DecodeError> {
    PacketId::new(r.u16("packet identifier")?).ok_or(DecodeError::ZeroPacketId { packet })
}

/// A filter made with 3.x rules must also follow 5.0's to be sent in 5.0.
pub(super) fn check_v5(filter: &TopicFilter) -> Result<(), EncodeError> {
    filter
        .check_v5()
        .map_err(|error| EncodeError::InvalidSharedSubscription {
            filter: filter.to_string(),
            error,
        })
}

pub(super) fn read_filter(
    r: &mut Reader,
    version: ProtocolVersion,
) -> Result<TopicFilter, DecodeError> {
    let raw = r.binary("topic filter")?;
    TopicFilter::from_bytes_with_version(raw, version).map_err(DecodeError::InvalidTopicFilter)
}

/// Size of a property section, or an error if non-empty properties meet 3.x.
pub(super) fn properties_len(
    version: ProtocolVersion,
    packet: &'static str,
    empty: bool,
    len: impl FnOnce() -> Result<usize, EncodeError>,
) -> Result<usize, EncodeError> {
    if version.is_v5() {
        len()
    } else if empty {
        Ok(0)
    } else {
        Err(EncodeError::PropertiesNotSupported { packet, version })
    }
}

/// Reads the list of results of SUBACK or (5.0) UNSUBACK: the rest of the packet.
pub(super) fn read_reasons(
    r: &mut Reader,
    packet: PacketType,
    version: ProtocolVersion,
) -> Result<Vec<ReasonCode>, DecodeError> {
    let count = r.remaining();
    if count == 0 {
        return Err(DecodeError::EmptyAck(packet));
    }
    let mut reasons = Vec::with_capacity(count);
    for _ in 0..count {
        let code = r.u8("reason code")?;
        let reason = if version.is_v5() {
            ReasonCode::from_u8(code).filter(|r| r.is_valid_for(packet))
        } else {
            ReasonCode::from_v3_suback(code)
        }
        .ok_or(DecodeError::InvalidReasonCode { packet, code })?;
        reasons.push(reason);
    }
    Ok(reasons)
}

pub(super) fn check_reasons(
    reasons: &[ReasonCode],
    packet: PacketType,
    version: ProtocolVersion,
) -> Result<(), EncodeError> {
    if reasons.is_empty() {
        return Err(EncodeError::NoResults(packet));
    }
    for &code in reasons {
        let ok = if version.is_v5() {
            code.is_valid_for(packet)
        } else {
            code.to_v3_suback().is_some()
        };
        if !ok {
            return Err(EncodeError::ReasonCodeNotSupported {
                packet,
                code,
                version,
            });
        }
    }
    Ok(())
}

pub(super) fn write_reasons(reasons: &[ReasonCode], version: ProtocolVersion, buf: &mut BytesMut) {
    for &code in reasons {
        let byte = if version.is_v5() {
            code.as_u8()
        } else {
            code.to_v3_suback().unwrap_or(0x80)
        };
        buf.put_u8(byte);
    }
}
