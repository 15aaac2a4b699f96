//! Errors of the codec, split by who caused them: [`DecodeError`] for bytes
//! the peer sent, [`EncodeError`] for a packet the caller asked to write.

use crate::packet_type::PacketType;
use crate::property_id::PropertyId;
use crate::reason::ReasonCode;
use crate::string::StringError;
use crate::topic::TopicError;
use crate::version::ProtocolVersion;

/// Why received bytes are not a valid packet. Each error knows the reason code
/// a receiver must answer with in MQTT 5.0 ([`DecodeError::reason_code`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[doc(alias = "MalformedPacket")]
pub enum DecodeError {
    /// A Variable Byte Integer longer than four bytes, or not in its
    /// shortest form [MQTT-1.5.5-1].
    #[error(
        "variable byte integer in {field} is longer than four bytes or not minimal [MQTT-1.5.5-1]"
    )]
    InvalidVariableByteInteger {
        /// The field being read.
        field: &'static str,
    },
    /// The packet is larger than the receiver's Maximum Packet Size.
    #[error("packet of {size} bytes exceeds the maximum packet size of {max} bytes")]
    PacketTooLarge {
        /// Size of the whole packet, fixed header included.
        size: usize,
        /// The limit in force.
        max: u32,
    },
    /// Packet type 0, or 15 (AUTH) before MQTT 5.0.
    #[error("packet type {packet_type} is reserved in MQTT {version}")]
    InvalidPacketType {
        /// The four-bit type.
        packet_type: u8,
        /// The version in force.
        version: ProtocolVersion,
    },
    /// Fixed-header flags that the packet type reserves [MQTT-2.1.3-1, 5.0]
    /// [MQTT-2.2.2-1, MQTT-2.2.2-2, 3.1.1].
    #[error("reserved fixed-header flags {flags:#06b} in {packet} [MQTT-2.1.3-1]")]
    InvalidHeaderFlags {
        /// The packet.
        packet: PacketType,
        /// The four flag bits received.
        flags: u8,
    },
    /// A QoS of 3 [MQTT-3.3.1-4].
    #[error("QoS 3 in {field} [MQTT-3.3.1-4]")]
    InvalidQoS {
        /// Where the QoS was.
        field: &'static str,
    },
    /// DUP set on a QoS 0 PUBLISH [MQTT-3.3.1-2].
    #[error("DUP flag set on a QoS 0 PUBLISH [MQTT-3.3.1-2]")]
    DupOnQoS0,
    /// A packet identifier of zero [MQTT-2.2.1-3, 5.0] [MQTT-2.3.1-1, 3.1.1].
    #[error("packet identifier 0 in {packet} [MQTT-2.2.1-3]")]
    ZeroPacketId {
        /// The packet.
        packet: PacketType,
    },
    /// A string field is not a valid MQTT string [MQTT-1.5.4-1, MQTT-1.5.4-2].
    #[error("{field}: {source}")]
    InvalidString {
        /// The field.
        field: &'static str,
        /// What is wrong.
        source: StringError,
    },
    /// A topic name (of PUBLISH, a will or a Response Topic) is invalid.
    #[error("{field}: {source}")]
    InvalidTopicName {
        /// The field.
        field: &'static str,
        /// What is wrong.
        source: TopicError,
    },
    /// A topic filter of SUBSCRIBE or UNSUBSCRIBE is invalid.
    #[error("topic filter: {0}")]
    InvalidTopicFilter(TopicError),
    /// A CONNECT whose protocol name and level form no version we speak [MQTT-3.1.2-1, MQTT-3.1.2-2].
    #[error("unsupported protocol {name:?} level {level} [MQTT-3.1.2-2]")]
    UnsupportedProtocol {
        /// The protocol name, lossily decoded.
        name: String,
        /// The protocol level.
        level: u8,
    },
    /// CONNECT flag bit 0 is reserved [MQTT-3.1.2-3].
    #[error("reserved CONNECT flag bit 0 is set [MQTT-3.1.2-3]")]
    ConnectReservedFlag,
    /// Will QoS or Will Retain set without the Will Flag
    /// [MQTT-3.1.2-11, MQTT-3.1.2-13, 5.0] [MQTT-3.1.2-11, MQTT-3.1.2-13, MQTT-3.1.2-15, 3.1.1].
    #[error("will QoS or will retain set without the will flag [MQTT-3.1.2-11, MQTT-3.1.2-13]")]
    WillFlagsWithoutWill,
    /// A password without a user name before MQTT 5.0 [MQTT-3.1.2-22, 3.1.1].
    #[error("password flag set without user name flag [MQTT-3.1.2-22, 3.1.1]")]
    PasswordWithoutUsername,
    /// An MQTT 3.1 client identifier outside 1..=23 bytes.
    #[error("MQTT 3.1 client identifier of {0} bytes is outside 1..=23")]
    ClientIdLength(usize),
    /// CONNACK flag bits 7-1 are reserved [MQTT-3.2.2-1].
    #[error("reserved CONNACK acknowledge flags {0:#010b} [MQTT-3.2.2-1]")]
    InvalidConnAckFlags(u8),
    /// Session Present with a failure code ([MQTT-3.2.2-6] in 5.0,
    /// [MQTT-3.2.2-4, 3.1.1]).
    #[error("session present set on a refused connection")]
    SessionPresentOnFailure,
    /// An AUTH without an Authentication Method (5.0 section 3.15.2.2.2).
    #[error("AUTH without an authentication method")]
    MissingAuthenticationMethod,
    /// A reason or return code the packet cannot carry.
    #[error("{packet} cannot carry reason code {code:#04x}")]
    InvalidReasonCode {
        /// The packet.
        packet: PacketType,
        /// The byte received.
        code: u8,
    },
    /// A property identifier 5.0 does not define.
    #[error("unknown property identifier {0:#04x}")]
    UnknownProperty(u8),
    /// A property the packet may not carry.
    #[error("property {property:?} is not allowed in {packet}")]
    PropertyNotAllowed {
        /// The packet, or will properties of CONNECT.
        packet: &'static str,
        /// The property.
        property: PropertyId,
    },
    /// A property other than User Property or Subscription Identifier given twice.
    #[error("property {0:?} given more than once")]
    DuplicateProperty(PropertyId),
    /// A property value outside its allowed range (a zero Receive Maximum, Maximum QoS 2, ...).
    #[error("invalid value for property {0:?}")]
    InvalidPropertyValue(PropertyId),
    /// A property runs past the end of the property section.
    #[error("a property overruns the declared property length")]
    PropertyLengthMismatch,
    /// The packet ended in the middle of a field.
    #[error("packet ends inside {0}")]
    Truncated(&'static str),
    /// Bytes left over after the last field.
    #[error("{extra} unexpected bytes at the end of {packet}")]
    TrailingBytes {
        /// The packet.
        packet: PacketType,
        /// How many bytes were left.
        extra: usize,
    },
    /// A SUBSCRIBE without any topic filter [MQTT-3.8.3-3, 3.1.1] [MQTT-3.8.3-2, 5.0].
    #[error("SUBSCRIBE without any topic filter [MQTT-3.8.3-3, 3.1.1] [MQTT-3.8.3-2, 5.0]")]
    EmptySubscribe,
    /// An UNSUBSCRIBE without any topic filter [MQTT-3.10.3-2, 3.1.1, 5.0].
    #[error("UNSUBSCRIBE without any topic filter [MQTT-3.10.3-2]")]
    EmptyUnsubscribe,
    /// A SUBACK or UNSUBACK without any result.
    #[error("{0} without any result")]
    EmptyAck(PacketType),
    /// Reserved bits of subscription options set [MQTT-3.8.3-4 (3.1.1), MQTT-3.8.3-5 (5.0)].
    #[error("reserved subscription option bits set in {0:#010b} [MQTT-3.8.3-5]")]
    InvalidSubscriptionOptions(u8),
    /// Retain Handling of 3.
    #[error("retain handling 3 is reserved")]
    InvalidRetainHandling,
    /// A Maximum QoS of 3 in 5.0 subscription options: a Protocol Error
    /// there (section 3.8.3.1), unlike QoS 3 elsewhere, which is malformed.
    /// In 3.1.1 the same byte is [`DecodeError::InvalidSubscriptionOptions`] [MQTT-3-8.3-4].
    #[error("maximum QoS 3 in subscription options")]
    InvalidSubscriptionQoS,
    /// No Local on a shared subscription [MQTT-3.8.3-4].
    #[error("no local set on a shared subscription [MQTT-3.8.3-4]")]
    NoLocalOnSharedSubscription,
    /// A PUBLISH with an empty topic name and no topic alias [MQTT-3.3.2-1].
    #[error("PUBLISH without a topic name or topic alias [MQTT-3.3.2-1]")]
    MissingTopic,
}

impl DecodeError {
    /// The 5.0 reason code to send in the DISCONNECT (or CONNACK) that answers this error.
    pub fn reason_code(&self) -> ReasonCode {
        use DecodeError::*;
        match self {
            PacketTooLarge { .. } => ReasonCode::PacketTooLarge,
            UnsupportedProtocol { .. } => ReasonCode::UnsupportedProtocolVersion,
            ClientIdLength(_) => ReasonCode::ClientIdentifierNotValid,
            // Ill-formed UTF-8 or U+0000 is a Malformed Packet wherever it
            // appears [MQTT-1.5.4-1, MQTT-1.5.4-2]; only a well-formed string
            // that breaks the topic rules is an invalid topic.
            InvalidTopicFilter(TopicError::String(_))
            | InvalidTopicName {
                source: TopicError::String(_),
                ..
            } => ReasonCode::MalformedPacket,
            InvalidTopicFilter(_) => ReasonCode::TopicFilterInvalid,
            InvalidTopicName { .. } => ReasonCode::TopicNameInvalid,
            DuplicateProperty(_)
            | InvalidPropertyValue(_)
            | EmptySubscribe
            | EmptyUnsubscribe
            | InvalidRetainHandling
            | InvalidSubscriptionQoS
            | NoLocalOnSharedSubscription
            | SessionPresentOnFailure
            | MissingAuthenticationMethod
            | InvalidReasonCode { .. }
            | MissingTopic => ReasonCode::ProtocolError,
            InvalidVariableByteInteger { .. }
            | InvalidPacketType { .. }
            | InvalidHeaderFlags { .. }
            | InvalidQoS { .. }
            | DupOnQoS0
            | ZeroPacketId { .. }
            | InvalidString { .. }
            | ConnectReservedFlag
            | WillFlagsWithoutWill
            | PasswordWithoutUsername
            | InvalidConnAckFlags(_)
            | UnknownProperty(_)
            | PropertyNotAllowed { .. }
            | PropertyLengthMismatch
            | Truncated(_)
            | TrailingBytes { .. }
            | EmptyAck(_)
            | InvalidSubscriptionOptions(_) => ReasonCode::MalformedPacket,
        }
    }
}

/// Why a packet cannot be written in the chosen version. The encoder checks
/// everything before writing, so an error leaves the buffer untouched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The packet exceeds the peer's Maximum Packet Size or the protocol's limit.
    #[error("packet of {size} bytes exceeds the maximum packet size of {max} bytes")]
    PacketTooLarge {
        /// The encoded size, fixed header included.
        size: usize,
        /// The limit in force.
        max: usize,
    },
    /// A binary field longer than 65,535 bytes.
    #[error("{field} of {len} bytes exceeds the 65535-byte limit")]
    FieldTooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
    },
    /// Properties are not part of MQTT 3.1 / 3.1.1.
    #[error("{packet} properties cannot be sent in MQTT {version}")]
    PropertiesNotSupported {
        /// The packet, or will properties.
        packet: &'static str,
        /// The version in force.
        version: ProtocolVersion,
    },
    /// A reason code the packet cannot carry in this version.
    #[error("{packet} cannot carry reason code {code} in MQTT {version}")]
    ReasonCodeNotSupported {
        /// The packet.
        packet: PacketType,
        /// The reason code.
        code: ReasonCode,
        /// The version in force.
        version: ProtocolVersion,
    },
    /// A packet type the version lacks (AUTH before 5.0).
    #[error("{packet} does not exist in MQTT {version}")]
    PacketNotSupported {
        /// The packet.
        packet: PacketType,
        /// The version in force.
        version: ProtocolVersion,
    },
    /// DUP on a QoS 0 PUBLISH [MQTT-3.3.1-2].
    #[error("DUP cannot be set on a QoS 0 PUBLISH [MQTT-3.3.1-2]")]
    DupOnQoS0,
    /// A PUBLISH with neither topic name nor topic alias (or an alias before 5.0).
    #[error("PUBLISH needs a topic name (or, in 5.0, a topic alias)")]
    MissingTopic,
    /// SUBSCRIBE or UNSUBSCRIBE without topic filters.
    #[error("{0} needs at least one topic filter")]
    NoTopicFilters(PacketType),
    /// SUBACK or UNSUBACK (5.0) without results.
    #[error("{0} needs at least one result")]
    NoResults(PacketType),
    /// An MQTT 3.1 client identifier outside 1..=23 bytes.
    #[error("MQTT 3.1 client identifier of {0} bytes is outside 1..=23")]
    ClientIdLength(usize),
    /// A password without a user name before MQTT 5.0 [MQTT-3.1.2-22, 3.1.1].
    #[error("a password needs a user name before MQTT 5.0 [MQTT-3.1.2-22, 3.1.1]")]
    PasswordWithoutUsername,
    /// Subscription options beyond QoS before MQTT 5.0.
    #[error("no local, retain as published and retain handling need MQTT 5.0")]
    SubscriptionOptionsNotSupported,
    /// A property value the receiver must reject (Maximum QoS 2).
    #[error("property {0:?} cannot carry that value")]
    InvalidPropertyValue(PropertyId),
    /// Session Present with a failure code ([MQTT-3.2.2-6] in 5.0,
    /// [MQTT-3.2.2-4, 3.1.1]).
    #[error("session present cannot be set on a refused connection")]
    SessionPresentOnFailure,
    /// An AUTH without an Authentication Method (5.0 section 3.15.2.2.2).
    #[error("AUTH needs an authentication method")]
    MissingAuthenticationMethod,
    /// No Local on a shared subscription [MQTT-3.8.3-4].
    #[error("no local cannot be set on a shared subscription [MQTT-3.8.3-4]")]
    NoLocalOnSharedSubscription,
    /// A filter made for 3.x that is no valid shared subscription, sent in
    /// 5.0 [MQTT-4.8.2-1, MQTT-4.8.2-2].
    #[error("topic filter {filter:?} is not a valid shared subscription in MQTT 5.0: {error}")]
    InvalidSharedSubscription {
        /// The filter.
        filter: String,
        /// What is wrong with it.
        error: TopicError,
    },
}
