//! Reason codes: the 5.0 set, onto which 3.1/3.1.1 return codes map.

use crate::packet_type::PacketType;
use core::fmt;

macro_rules! reason_codes {
    ($( $(#[$doc:meta])* $name:ident = $value:literal, $text:literal; )*) => {
        /// An MQTT 5.0 reason code. MQTT 3.1 / 3.1.1 CONNACK return codes and
        /// SUBACK results map onto the same values (see
        /// [`ReasonCode::from_v3_connack`] and [`ReasonCode::from_v3_suback`]).
        ///
        /// The value 0x00 is called Success, Normal disconnection or Granted
        /// QoS 0 depending on the packet; the associated constants give those names.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        #[repr(u8)]
        #[doc(alias = "ReasonCodes")]
        pub enum ReasonCode {
            $( $(#[$doc])* $name = $value, )*
        }

        impl ReasonCode {
            /// The reason code for a byte, `None` if 5.0 defines no such code.
            pub const fn from_u8(value: u8) -> Option<Self> {
                match value {
                    $( $value => Some(Self::$name), )*
                    _ => None,
                }
            }

            /// The name the specification gives the code.
            #[doc(alias = "getName")]
            pub const fn description(self) -> &'static str {
                match self {
                    $( Self::$name => $text, )*
                }
            }
        }
    };
}

reason_codes! {
    /// 0x00: Success, Normal disconnection, Granted QoS 0.
    #[default]
    Success = 0x00, "Success";
    /// 0x01: Granted QoS 1.
    GrantedQoS1 = 0x01, "Granted QoS 1";
    /// 0x02: Granted QoS 2.
    GrantedQoS2 = 0x02, "Granted QoS 2";
    /// 0x04: Disconnect with Will Message.
    DisconnectWithWillMessage = 0x04, "Disconnect with Will Message";
    /// 0x10: No matching subscribers.
    NoMatchingSubscribers = 0x10, "No matching subscribers";
    /// 0x11: No subscription existed.
    NoSubscriptionExisted = 0x11, "No subscription existed";
    /// 0x18: Continue authentication.
    ContinueAuthentication = 0x18, "Continue authentication";
    /// 0x19: Re-authenticate.
    ReAuthenticate = 0x19, "Re-authenticate";
    /// 0x80: Unspecified error.
    UnspecifiedError = 0x80, "Unspecified error";
    /// 0x81: Malformed Packet.
    MalformedPacket = 0x81, "Malformed Packet";
    /// 0x82: Protocol Error.
    ProtocolError = 0x82, "Protocol Error";
    /// 0x83: Implementation specific error.
    ImplementationSpecificError = 0x83, "Implementation specific error";
    /// 0x84: Unsupported Protocol Version.
    UnsupportedProtocolVersion = 0x84, "Unsupported Protocol Version";
    /// 0x85: Client Identifier not valid.
    ClientIdentifierNotValid = 0x85, "Client Identifier not valid";
    /// 0x86: Bad User Name or Password.
    BadUserNameOrPassword = 0x86, "Bad User Name or Password";
    /// 0x87: Not authorized.
    NotAuthorized = 0x87, "Not authorized";
    /// 0x88: Server unavailable.
    ServerUnavailable = 0x88, "Server unavailable";
    /// 0x89: Server busy.
    ServerBusy = 0x89, "Server busy";
    /// 0x8A: Banned.
    Banned = 0x8A, "Banned";
    /// 0x8B: Server shutting down.
    ServerShuttingDown = 0x8B, "Server shutting down";
    /// 0x8C: Bad authentication method.
    BadAuthenticationMethod = 0x8C, "Bad authentication method";
    /// 0x8D: Keep Alive timeout.
    KeepAliveTimeout = 0x8D, "Keep Alive timeout";
    /// 0x8E: Session taken over.
    SessionTakenOver = 0x8E, "Session taken over";
    /// 0x8F: Topic Filter invalid.
    TopicFilterInvalid = 0x8F, "Topic Filter invalid";
    /// 0x90: Topic Name invalid.
    TopicNameInvalid = 0x90, "Topic Name invalid";
    /// 0x91: Packet Identifier in use.
    PacketIdentifierInUse = 0x91, "Packet Identifier in use";
    /// 0x92: Packet Identifier not found.
    PacketIdentifierNotFound = 0x92, "Packet Identifier not found";
    /// 0x93: Receive Maximum exceeded.
    ReceiveMaximumExceeded = 0x93, "Receive Maximum exceeded";
    /// 0x94: Topic Alias invalid.
    TopicAliasInvalid = 0x94, "Topic Alias invalid";
    /// 0x95: Packet too large.
    PacketTooLarge = 0x95, "Packet too large";
    /// 0x96: Message rate too high.
    MessageRateTooHigh = 0x96, "Message rate too high";
    /// 0x97: Quota exceeded.
    QuotaExceeded = 0x97, "Quota exceeded";
    /// 0x98: Administrative action.
    AdministrativeAction = 0x98, "Administrative action";
    /// 0x99: Payload format invalid.
    PayloadFormatInvalid = 0x99, "Payload format invalid";
    /// 0x9A: Retain not supported.
    RetainNotSupported = 0x9A, "Retain not supported";
    /// 0x9B: QoS not supported.
    QoSNotSupported = 0x9B, "QoS not supported";
    /// 0x9C: Use another server.
    UseAnotherServer = 0x9C, "Use another server";
    /// 0x9D: Server moved.
    ServerMoved = 0x9D, "Server moved";
    /// 0x9E: Shared Subscriptions not supported.
    SharedSubscriptionsNotSupported = 0x9E, "Shared Subscriptions not supported";
    /// 0x9F: Connection rate exceeded.
    ConnectionRateExceeded = 0x9F, "Connection rate exceeded";
    /// 0xA0: Maximum connect time.
    MaximumConnectTime = 0xA0, "Maximum connect time";
    /// 0xA1: Subscription Identifiers not supported.
    SubscriptionIdentifiersNotSupported = 0xA1, "Subscription Identifiers not supported";
    /// 0xA2: Wildcard Subscriptions not supported.
    WildcardSubscriptionsNotSupported = 0xA2, "Wildcard Subscriptions not supported";
}

impl ReasonCode {
    /// 0x00 in DISCONNECT.
    pub const NORMAL_DISCONNECTION: Self = Self::Success;
    /// 0x00 in SUBACK.
    pub const GRANTED_QOS_0: Self = Self::Success;

    /// The byte on the wire.
    #[doc(alias = "value")]
    pub const fn as_u8(self) -> u8 {
        self as u8
    }

    /// Whether the code reports a failure (0x80 and above).
    #[doc(alias = "is_failure")]
    pub const fn is_error(self) -> bool {
        self as u8 >= 0x80
    }

    /// Whether `packet` may carry this code in MQTT 5.0.
    pub fn is_valid_for(self, packet: PacketType) -> bool {
        use ReasonCode::*;
        match packet {
            PacketType::ConnAck => matches!(
                self,
                Success
                    | UnspecifiedError
                    | MalformedPacket
                    | ProtocolError
                    | ImplementationSpecificError
                    | UnsupportedProtocolVersion
                    | ClientIdentifierNotValid
                    | BadUserNameOrPassword
                    | NotAuthorized
                    | ServerUnavailable
                    | ServerBusy
                    | Banned
                    | BadAuthenticationMethod
                    | TopicNameInvalid
                    | PacketTooLarge
                    | QuotaExceeded
                    | PayloadFormatInvalid
                    | RetainNotSupported
                    | QoSNotSupported
                    | UseAnotherServer
                    | ServerMoved
                    | ConnectionRateExceeded
            ),
            PacketType::PubAck | PacketType::PubRec => matches!(
                self,
                Success
                    | NoMatchingSubscribers
                    | UnspecifiedError
                    | ImplementationSpecificError
                    | NotAuthorized
                    | TopicNameInvalid
                    | PacketIdentifierInUse
                    | QuotaExceeded
                    | PayloadFormatInvalid
            ),
            PacketType::PubRel | PacketType::PubComp => {
                matches!(self, Success | PacketIdentifierNotFound)
            }
            PacketType::SubAck => matches!(
                self,
                Success
                    | GrantedQoS1
                    | GrantedQoS2
                    | UnspecifiedError
                    | ImplementationSpecificError
                    | NotAuthorized
                    | TopicFilterInvalid
                    | PacketIdentifierInUse
                    | QuotaExceeded
                    | SharedSubscriptionsNotSupported
                    | SubscriptionIdentifiersNotSupported
                    | WildcardSubscriptionsNotSupported
            ),
            PacketType::UnsubAck => matches!(
                self,
                Success
                    | NoSubscriptionExisted
                    | UnspecifiedError
                    | ImplementationSpecificError
                    | NotAuthorized
                    | TopicFilterInvalid
                    | PacketIdentifierInUse
            ),
            PacketType::Disconnect => matches!(
                self,
                Success
                    | DisconnectWithWillMessage
                    | UnspecifiedError
                    | MalformedPacket
                    | ProtocolError
                    | ImplementationSpecificError
                    | NotAuthorized
                    | ServerBusy
                    | ServerShuttingDown
                    | KeepAliveTimeout
                    | SessionTakenOver
                    | TopicFilterInvalid
                    | TopicNameInvalid
                    | ReceiveMaximumExceeded
                    | TopicAliasInvalid
                    | PacketTooLarge
                    | MessageRateTooHigh
                    | QuotaExceeded
                    | AdministrativeAction
                    | PayloadFormatInvalid
                    | RetainNotSupported
                    | QoSNotSupported
                    | UseAnotherServer
                    | ServerMoved
                    | SharedSubscriptionsNotSupported
                    | ConnectionRateExceeded
                    | MaximumConnectTime
                    | SubscriptionIdentifiersNotSupported
                    | WildcardSubscriptionsNotSupported
            ),
            PacketType::Auth => matches!(self, Success | ContinueAuthentication | ReAuthenticate),
            _ => false,
        }
    }

    /// The reason code for an MQTT 3.1 / 3.1.1 CONNACK return code (0..=5).
    #[doc(alias = "convert_connack_rc_to_reason_code")]
    #[doc(alias = "connack_string")]
    #[doc(alias = "ConnackCode")]
    pub const fn from_v3_connack(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::Success),
            1 => Some(Self::UnsupportedProtocolVersion),
            2 => Some(Self::ClientIdentifierNotValid),
            3 => Some(Self::ServerUnavailable),
            4 => Some(Self::BadUserNameOrPassword),
            5 => Some(Self::NotAuthorized),
            _ => None,
        }
    }

    /// The MQTT 3.1 / 3.1.1 CONNACK return code for this reason, if 3.x has one.
    pub const fn to_v3_connack(self) -> Option<u8> {
        match self {
            Self::Success => Some(0),
            Self::UnsupportedProtocolVersion => Some(1),
            Self::ClientIdentifierNotValid => Some(2),
            Self::ServerUnavailable => Some(3),
            Self::BadUserNameOrPassword => Some(4),
            Self::NotAuthorized => Some(5),
            _ => None,
        }
    }

    /// The reason code for an MQTT 3.1 / 3.1.1 SUBACK return code (0, 1, 2, 0x80).
    pub const fn from_v3_suback(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::Success),
            1 => Some(Self::GrantedQoS1),
            2 => Some(Self::GrantedQoS2),
            0x80 => Some(Self::UnspecifiedError),
            _ => None,
        }
    }

    /// The MQTT 3.1 / 3.1.1 SUBACK return code for this reason, if 3.x has one.
    pub const fn to_v3_suback(self) -> Option<u8> {
        match self {
            Self::Success => Some(0),
            Self::GrantedQoS1 => Some(1),
            Self::GrantedQoS2 => Some(2),
            Self::UnspecifiedError => Some(0x80),
            _ => None,
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:#04x})", self.description(), self.as_u8())
    }
}
