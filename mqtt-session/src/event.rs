//! What the session tells the application.

use crate::error::{Error, ProtocolError};
use mqtt_proto::{
    AckProperties, AuthProperties, ConnAckProperties, DisconnectProperties, Packet, PacketId,
    Publish, QoS, ReasonCode,
};

/// Identifies one `publish` call from acceptance to its completion event.
/// Unlike a packet identifier it is never reused, and it stays the same
/// when a message is republished after the server lost the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub u64);

/// Identifies a received QoS 1/2 message that awaits the application's
/// [`crate::Session::ack`] in manual-ack mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AckToken(pub(crate) u64);

/// A message received from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    /// The PUBLISH, with its topic resolved from a topic alias if one was used.
    pub publish: Publish,
    /// Present for QoS 1/2 in manual-ack mode: pass it to [`crate::Session::ack`].
    pub ack: Option<AckToken>,
}

/// Why an accepted outbound message will not be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishFailure {
    /// The server answered PUBACK or PUBREC with a failure reason code.
    Rejected {
        /// The reason code (0x80 or above).
        reason: ReasonCode,
        /// Reason string and user properties.
        properties: AckProperties,
    },
    /// The Message Expiry Interval passed before the message could be sent.
    Expired,
    /// Dropped from a full queue under [`crate::QueueFullPolicy::DropOldest`].
    Dropped,
    /// The server held no session and [`crate::SessionLostPolicy::Fail`] is in force.
    SessionLost,
    /// The server's limits shrank after the message was accepted (a new
    /// connection with a smaller Maximum Packet Size) and it no longer fits.
    Unsendable(mqtt_proto::EncodeError),
    /// The message waited in the queue and the CONNACK of the connection
    /// that was to carry it refuses what it asks for: a Maximum QoS below
    /// its QoS (with [`crate::SessionConfig::downgrade_qos`] off) or Retain
    /// Available 0 for a retained message. The error says which; nothing
    /// was sent.
    NotSupported(Error),
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[doc(alias = "DisconnectFlags")]
pub enum Disconnection {
    /// The application called [`crate::Session::disconnect`].
    Local {
        /// The reason code sent.
        reason: ReasonCode,
    },
    /// The server sent DISCONNECT.
    Server {
        /// Its reason code.
        reason: ReasonCode,
        /// Reason string, server reference, user properties.
        properties: DisconnectProperties,
    },
    /// The server refused the connection in CONNACK.
    Refused {
        /// The reason (3.x return codes mapped onto 5.0 reason codes).
        reason: ReasonCode,
        /// Reason string, server reference, user properties.
        properties: Box<ConnAckProperties>,
    },
    /// The server broke the protocol; we sent DISCONNECT with
    /// [`ProtocolError::reason_code`] where the version allows.
    ProtocolError(ProtocolError),
    /// No CONNACK within the connect timeout.
    ConnectTimeout,
    /// No PINGRESP within the ping timeout: the connection is half-open.
    KeepAliveTimeout,
    /// The adapter reported that the transport closed or failed.
    TransportClosed,
    /// The server resumed a session this client knows nothing of, and
    /// [`crate::UnknownSessionPolicy::Close`] is in force: the client sent
    /// DISCONNECT (Normal) and closed [MQTT-3.2.2-4, 5.0]. Not retried as
    /// is: reconnect with a clean start, or keep the session in a store.
    SessionStateUnknown,
}

/// Something the application should know. Drain with [`crate::Session::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// CONNACK accepted the connection.
    Connected {
        /// Whether the server resumed our session.
        session_present: bool,
        /// CONNACK properties (limits, assigned client id, reason string,
        /// response information, server reference ...).
        properties: Box<ConnAckProperties>,
    },
    /// The connection ended; exactly one per connection attempt.
    Disconnected(Disconnection),
    /// A message arrived.
    Message(InboundMessage),
    /// An outbound message is done: QoS 0 handed to the transport, QoS 1
    /// acknowledged by PUBACK, QoS 2 by PUBCOMP.
    Published {
        /// The id `publish` returned.
        id: MessageId,
        /// The packet identifier used last (QoS 1/2).
        packet_id: Option<PacketId>,
        /// The QoS it was sent with.
        qos: QoS,
        /// The acknowledgement's reason code (Success or No matching subscribers).
        reason: ReasonCode,
        /// The acknowledgement's properties.
        properties: AckProperties,
    },
    /// An outbound message will not be delivered.
    PublishFailed {
        /// The id `publish` returned.
        id: MessageId,
        /// Why.
        failure: PublishFailure,
    },
    /// The server lost our session and an unfinished message was queued
    /// again as a new message ([`crate::SessionLostPolicy::Republish`]).
    Republished {
        /// The id `publish` returned; its completion event follows later.
        id: MessageId,
    },
    /// SUBACK arrived.
    Subscribed {
        /// The SUBSCRIBE's packet identifier, as `subscribe` returned.
        packet_id: PacketId,
        /// Granted QoS or failure per filter, in request order.
        reasons: Vec<ReasonCode>,
        /// Reason string and user properties.
        properties: AckProperties,
    },
    /// UNSUBACK arrived.
    Unsubscribed {
        /// The UNSUBSCRIBE's packet identifier.
        packet_id: PacketId,
        /// Result per filter (5.0; empty in 3.x).
        reasons: Vec<ReasonCode>,
        /// Reason string and user properties.
        properties: AckProperties,
    },
    /// A SUBSCRIBE or UNSUBSCRIBE got no answer before the connection ended;
    /// MQTT does not resend them.
    RequestAborted {
        /// Its packet identifier.
        packet_id: PacketId,
    },
    /// The server resumed a session this client knows nothing of, and
    /// [`crate::UnknownSessionPolicy::Adopt`] took it over: every packet
    /// identifier the server could hold for an earlier run is being
    /// released before anything new goes out. Messages an earlier run had
    /// in flight are beyond this client's reach: without a store, unsent
    /// ones are lost and received ones may be delivered again.
    SessionAdopted,
    /// A packet was written to the transmit buffer or read from the
    /// input; only while [`crate::SessionConfig::trace_packets`] is on, for
    /// packet logs such as Paho's ("Sending PUBLISH (d0, q1, r0, m1) ...").
    /// A sent packet is reported as it was encoded, read back; a CONNECT
    /// therefore carries the password: whoever formats it must leave it out.
    PacketTrace {
        /// Whether the client sent it (else it was received).
        sent: bool,
        /// The packet.
        packet: Box<Packet>,
    },
    /// The server sent AUTH: continue the exchange with [`crate::Session::auth`].
    Auth {
        /// Continue authentication, or Success at the end of re-authentication.
        reason: ReasonCode,
        /// Method, data, reason string, user properties.
        properties: AuthProperties,
    },
}
