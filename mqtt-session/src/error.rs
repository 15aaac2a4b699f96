//! Errors split by who caused them: [`Error`] is returned to the caller of a
//! command; [`ProtocolError`] reports a server that broke the protocol.

use mqtt_proto::{DecodeError, EncodeError, PacketType, QoS, ReasonCode, TopicFilter};

/// A command the caller gave cannot be carried out. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The command needs an accepted connection.
    #[error("not connected")]
    NotConnected,
    /// `connect` while a connection is already open or being opened.
    #[error("a connection is already open")]
    AlreadyConnected,
    /// The outbound queue is full under [`crate::QueueFullPolicy::RejectNew`].
    #[error("outbound queue is full")]
    QueueFull,
    /// The packet would exceed the server's Maximum Packet Size.
    #[error("packet of {size} bytes exceeds the server's maximum packet size of {max}")]
    PacketTooLarge {
        /// Encoded size.
        size: usize,
        /// The server's limit.
        max: u32,
    },
    /// The server's Maximum QoS is lower and downgrading is off.
    #[error("QoS {requested} exceeds the server's maximum QoS {maximum}")]
    QoSNotSupported {
        /// What was asked.
        requested: QoS,
        /// What the server allows.
        maximum: QoS,
    },
    /// The server does not support retained messages.
    #[error("the server does not support retained messages")]
    RetainNotSupported,
    /// The server does not support wildcard subscriptions.
    #[error("the server does not support wildcard subscriptions ({0})")]
    WildcardsNotSupported(TopicFilter),
    /// The server does not support shared subscriptions.
    #[error("the server does not support shared subscriptions ({0})")]
    SharedSubscriptionsNotSupported(TopicFilter),
    /// The server does not support subscription identifiers.
    #[error("the server does not support subscription identifiers")]
    SubscriptionIdentifiersNotSupported,
    /// All 65,535 packet identifiers are in use.
    #[error("no packet identifier is free")]
    NoPacketIdAvailable,
    /// The token does not belong to a message awaiting acknowledgement.
    #[error("unknown or already used acknowledgement token")]
    UnknownAckToken,
    /// The operation needs MQTT 5.0.
    #[error("{0} needs MQTT 5.0")]
    RequiresV5(&'static str),
    /// A DISCONNECT may not set a session expiry when CONNECT set none (5.0 section 3.14.2.2.2).
    #[error("cannot set a session expiry interval at DISCONNECT when CONNECT set 0")]
    SessionExpiryNotAllowed,
    /// The stored session belongs to another client identifier.
    #[error("the stored session belongs to client id {stored:?}, not {configured:?}")]
    StoredClientIdMismatch {
        /// The identifier the store was written for.
        stored: String,
        /// The identifier configured now.
        configured: String,
    },
    /// No queued message has this id (it was sent or finished already).
    #[error("message {0} is not queued")]
    NotQueued(u64),
    /// A zero-byte client identifier needs a clean session in 3.x
    /// [MQTT-3.1.3-7, 3.1.1]: the server could not tell the session apart.
    #[error("a zero-byte client identifier needs clean session on in MQTT 3.x [MQTT-3.1.3-7]")]
    EmptyClientIdNeedsCleanSession,
    /// AUTH is only possible with an authentication method, at the right time.
    #[error("AUTH is not possible now: {0}")]
    AuthNotPossible(&'static str),
    /// The packet cannot be encoded in the session's version.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

/// The server broke the protocol. The session answers with DISCONNECT and
/// [`ProtocolError::reason_code`] (5.0) and closes the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// Bytes that are not a valid packet.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A packet a server may not send, or not at this point.
    #[error("unexpected {0} from the server")]
    UnexpectedPacket(PacketType),
    /// More unacknowledged QoS 1/2 messages than our Receive Maximum.
    #[error("server exceeded our receive maximum of {0}")]
    ReceiveMaximumExceeded(u16),
    /// A topic alias of 0 or above our Topic Alias Maximum.
    #[error("topic alias {0} is outside the range we allowed")]
    TopicAliasOutOfRange(u16),
    /// A PUBLISH naming only a topic alias we never saw.
    #[error("topic alias {0} was never defined")]
    UnknownTopicAlias(u16),
    /// A SUBACK or UNSUBACK whose number of results does not match the request.
    #[error("{packet} carries {got} results for {expected} topic filters")]
    ResultCountMismatch {
        /// SUBACK or UNSUBACK.
        packet: PacketType,
        /// Results received.
        got: usize,
        /// Filters requested.
        expected: usize,
    },
    /// The server's DISCONNECT carried a Session Expiry Interval, which only a client may send.
    #[error("server sent a session expiry interval in DISCONNECT")]
    SessionExpiryFromServer,
    /// An AUTH with a method other than ours, or AUTH without our asking.
    #[error("unexpected authentication exchange")]
    BadAuthentication,
    /// The server's Maximum Packet Size leaves no room for a packet the
    /// protocol requires of us (an acknowledgement, PINGREQ): the exchange
    /// could not go on, so the connection ends rather than hang.
    #[error("{packet} of {size} bytes cannot be sent within the server's maximum packet size of {max} bytes")]
    MaximumPacketSizeTooSmall {
        /// The packet that could not be sent.
        packet: PacketType,
        /// Its size.
        size: usize,
        /// The server's limit.
        max: u32,
    },
}

impl ProtocolError {
    /// The reason code our DISCONNECT carries; always one DISCONNECT may carry.
    pub fn reason_code(&self) -> ReasonCode {
        match self {
            // Codes meant for CONNACK (a server sending us a CONNECT with an
            // unknown protocol, say) become Malformed Packet: it failed to decode.
            Self::Decode(e) => Some(e.reason_code())
                .filter(|r| r.is_valid_for(PacketType::Disconnect))
                .unwrap_or(ReasonCode::MalformedPacket),
            Self::ReceiveMaximumExceeded(_) => ReasonCode::ReceiveMaximumExceeded,
            Self::TopicAliasOutOfRange(_) | Self::UnknownTopicAlias(_) => {
                ReasonCode::TopicAliasInvalid
            }
            // 0x8C is a CONNACK code; a client's DISCONNECT cannot carry it.
            // The CONNACK was valid; this client cannot work within it.
            Self::MaximumPacketSizeTooSmall { .. } => ReasonCode::ImplementationSpecificError,
            Self::BadAuthentication
            | Self::UnexpectedPacket(_)
            | Self::ResultCountMismatch { .. }
            | Self::SessionExpiryFromServer => ReasonCode::ProtocolError,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mqtt_proto::{StringError, TopicError};

    #[test]
    fn every_protocol_error_maps_to_a_disconnect_reason_code() {
        let errors = [
            ProtocolError::Decode(DecodeError::UnsupportedProtocol {
                name: "MQTT".into(),
                level: 9,
            }),
            ProtocolError::Decode(DecodeError::ClientIdLength(30)),
            ProtocolError::Decode(DecodeError::PacketTooLarge { size: 9, max: 8 }),
            ProtocolError::Decode(DecodeError::InvalidTopicFilter(TopicError::Empty)),
            ProtocolError::Decode(DecodeError::InvalidString {
                field: "x",
                source: StringError::InvalidUtf8,
            }),
            ProtocolError::UnexpectedPacket(PacketType::Connect),
            ProtocolError::ReceiveMaximumExceeded(1),
            ProtocolError::TopicAliasOutOfRange(3),
            ProtocolError::UnknownTopicAlias(1),
            ProtocolError::ResultCountMismatch {
                packet: PacketType::SubAck,
                got: 1,
                expected: 2,
            },
            ProtocolError::SessionExpiryFromServer,
            ProtocolError::BadAuthentication,
            ProtocolError::MaximumPacketSizeTooSmall {
                packet: PacketType::PubAck,
                size: 4,
                max: 1,
            },
        ];
        for e in errors {
            assert!(
                e.reason_code().is_valid_for(PacketType::Disconnect),
                "{e:?} -> {}",
                e.reason_code()
            );
        }
    }
}
