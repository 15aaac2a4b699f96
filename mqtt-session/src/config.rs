//! Configuration of a session: what CONNECT carries and how the engine behaves.

use core::time::Duration;
use mqtt_proto::{Connect, MqttString, ProtocolVersion};

/// When the CONNECT of a new connection asks for a clean start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[doc(alias = "CleanStartOption")]
pub enum CleanStart {
    /// Every connection starts a new session (3.x `clean_session = 1`).
    #[default]
    Always,
    /// Only the first connection of this session starts clean; reconnects
    /// resume (Paho's default for 5.0).
    #[doc(alias = "MQTT_CLEAN_START_FIRST_ONLY")]
    FirstOnly,
    /// Always resume the session the server holds (3.x `clean_session = 0`).
    Never,
}

/// What happens to a publish when the outbound queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueFullPolicy {
    /// `publish` returns [`crate::Error::QueueFull`].
    #[default]
    RejectNew,
    /// The oldest queued message is dropped with a
    /// [`crate::PublishFailure::Dropped`] event and the new one is queued.
    DropOldest,
}

/// What happens to unfinished outbound QoS 1/2 messages when a CONNACK says
/// the server holds no session for us. They are never resent as duplicates
/// [MQTT-4.4.0-1]; the server forgot them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionLostPolicy {
    /// Send them again as new messages with new packet identifiers, in their
    /// original order, and report each with [`crate::Event::Republished`].
    /// Messages the server had already acknowledged with PUBREC count as
    /// delivered. Nothing is lost.
    #[default]
    Republish,
    /// Report each with [`crate::PublishFailure::SessionLost`].
    Fail,
}

/// What happens when a CONNACK says the server resumed a session this
/// client knows nothing of: Session Present 1 for a session that never
/// connected before (a program restarted with clean session 0 and no
/// stored state). The server may then hold the packet identifiers of
/// QoS 2 messages an earlier run sent, awaiting their PUBREL, and take a
/// new message that reuses one for a duplicate, acknowledging and
/// dropping it: the loss that Paho documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownSessionPolicy {
    /// Close the connection, reporting
    /// [`crate::Disconnection::SessionStateUnknown`], as MQTT 5.0 requires
    /// of a client without session state [MQTT-3.2.2-4, 5.0]. Reconnect
    /// with a clean start, or keep the session in a store, to go on.
    Close,
    /// Take the server's session over, made safe first: before anything
    /// else on the connection the client releases every packet identifier
    /// the server could hold for it (a PUBREL for each of 1 to 65,535,
    /// answered by PUBCOMP, about 256 KiB each way), so that no new message
    /// can collide with one of an earlier run. Messages the server queued
    /// for this client arrive as usual. Reported by
    /// [`crate::Event::SessionAdopted`].
    Adopt,
}

/// Everything that shapes a session. The CONNECT template is sent on every
/// connection, with the client identifier and clean-start flag the session
/// decides.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The CONNECT sent on each connection: protocol version, keep alive,
    /// client identifier, will, credentials and 5.0 properties (our Receive
    /// Maximum, Maximum Packet Size and Topic Alias Maximum are taken from
    /// here and enforced on what the server sends).
    pub connect: Connect,
    /// When to ask for a clean start.
    pub clean_start: CleanStart,
    /// Our limit of unacknowledged outbound QoS 1/2 messages; the window is
    /// the smaller of this and the server's Receive Maximum. 0 counts as 1.
    pub max_inflight: u16,
    /// Most messages waiting for the window (not yet sent).
    pub max_queued_messages: usize,
    /// Most payload and topic bytes waiting for the window.
    pub max_queued_bytes: usize,
    /// What to do when the queue is full.
    pub queue_full: QueueFullPolicy,
    /// What to do with unfinished messages when the server lost our session.
    pub session_lost: SessionLostPolicy,
    /// Publish above the server's Maximum QoS at that maximum instead of
    /// refusing the call.
    pub downgrade_qos: bool,
    /// Acknowledge inbound QoS 1/2 messages as soon as they are delivered;
    /// when false the application calls [`crate::Session::ack`] for each.
    pub auto_ack: bool,
    /// Give outbound topics aliases automatically (least recently used
    /// first) within the server's Topic Alias Maximum (5.0).
    pub auto_topic_alias: bool,
    /// How long to wait for CONNACK after sending CONNECT.
    pub connect_timeout: Duration,
    /// How long to wait for PINGRESP before declaring the connection dead;
    /// `None` waits half the keep alive, so that a silent server is found
    /// within 1.5 times the keep alive (PINGREQ at 1, the answer due by 1.5).
    pub ping_timeout: Option<Duration>,
    /// The largest packet this client accepts. 5.0 announces it to the
    /// server as Maximum Packet Size (the smaller of this and one set in the
    /// CONNECT properties); every version refuses a larger packet as soon as
    /// its fixed header arrives, before buffering its body.
    pub max_incoming_packet_size: u32,
    /// What to do with a resumed session this client knows nothing of.
    /// The default follows the version: [`UnknownSessionPolicy::Close`] in
    /// 5.0, which requires it; [`UnknownSessionPolicy::Adopt`] in 3.x,
    /// which leaves the choice to the client.
    pub unknown_session: UnknownSessionPolicy,
    /// Report every change to the durable part of the session state as a
    /// [`crate::StoreOp`] ([`crate::Session::poll_store_op`]), for a
    /// host that keeps the session in a store; see [`crate::durable`] for
    /// the contract. A QoS 1/2 `publish` then only queues the message: the
    /// host stores it and calls [`crate::Session::send_queued`].
    pub durable: bool,
    /// Report every packet sent and received as [`crate::Event::PacketTrace`]
    /// (off by default: it costs a copy of each packet).
    pub trace_packets: bool,
}

/// The default [`SessionConfig::max_incoming_packet_size`]: 16 MiB, room
/// for any application payload of reasonable size, and a bound on what a
/// misbehaving server can make the client buffer (the protocol's own limit
/// is 256 MiB).
pub const DEFAULT_MAX_INCOMING_PACKET_SIZE: u32 = 16 << 20;

impl SessionConfig {
    /// The defaults for `version` and `client_id` (empty: the server assigns one).
    ///
    /// In flight: 20 for 3.x, where Mosquitto silently drops QoS 2 messages
    /// beyond 20 in flight; 65,535 for 5.0, where the server's Receive
    /// Maximum governs.
    pub fn new(version: ProtocolVersion, client_id: MqttString) -> Self {
        Self {
            connect: Connect::new(version, client_id),
            clean_start: if version.is_v5() {
                CleanStart::FirstOnly
            } else {
                CleanStart::Always
            },
            max_inflight: if version.is_v5() { u16::MAX } else { 20 },
            max_queued_messages: 10_000,
            max_queued_bytes: 64 << 20,
            queue_full: QueueFullPolicy::RejectNew,
            session_lost: SessionLostPolicy::Republish,
            downgrade_qos: false,
            auto_ack: true,
            auto_topic_alias: false,
            connect_timeout: Duration::from_secs(30),
            ping_timeout: None,
            max_incoming_packet_size: DEFAULT_MAX_INCOMING_PACKET_SIZE,
            trace_packets: false,
            unknown_session: if version.is_v5() {
                UnknownSessionPolicy::Close
            } else {
                UnknownSessionPolicy::Adopt
            },
            durable: false,
        }
    }

    /// The protocol version.
    pub fn version(&self) -> ProtocolVersion {
        self.connect.protocol
    }
}
