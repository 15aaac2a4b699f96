//! The session: drive API, connection lifecycle and keep alive.

use crate::alias::{InboundAliases, OutboundAliases};
use crate::config::{CleanStart, SessionConfig, UnknownSessionPolicy};
use crate::connection::{Connection, Phase, ServerLimits};
use crate::durable::{DurableState, StoreOp, WallClock};
use crate::error::{Error, ProtocolError};
use crate::event::{Disconnection, Event};
use crate::inflight_ids::InflightIds;
use crate::state::SessionState;
use bytes::{Bytes, BytesMut};
use core::time::Duration;
use mqtt_proto::{
    Auth, Decoder, Disconnect, Encodable, EncodeError, Encoder, Packet, PacketType, ReasonCode,
    MAX_PACKET_SIZE,
};
use std::collections::VecDeque;
use std::time::Instant;

/// A packet whose Reason String and User Properties are optional
/// diagnostics, left out rather than exceed the receiver's Maximum Packet Size.
pub(crate) trait Diagnostics: Encodable {
    /// Removes the Reason String if there is one, else the User Properties;
    /// whether anything was removed.
    fn shed_diagnostics(&mut self) -> bool;
}

impl Diagnostics for Disconnect {
    fn shed_diagnostics(&mut self) -> bool {
        let p = &mut self.properties;
        p.replace(|p| &mut p.reason_string, None).is_some()
            || !p.replace(|p| &mut p.user_properties, Vec::new()).is_empty()
    }
}

impl Diagnostics for Auth {
    fn shed_diagnostics(&mut self) -> bool {
        let p = &mut self.properties;
        p.replace(|p| &mut p.reason_string, None).is_some()
            || !p.replace(|p| &mut p.user_properties, Vec::new()).is_empty()
    }
}

/// The transmit buffer's capacity.
const TX_BUFFER: usize = 4096;

/// How long to wait for PINGRESP when the configuration says nothing: half
/// the keep alive, so that a silent server is found within 1.5 times it.
fn default_ping_timeout(keep_alive: Option<Duration>) -> Duration {
    keep_alive.map_or(Duration::from_secs(30), |k| k / 2)
}

/// A Sans-IO MQTT client session. See the [crate documentation](crate) for
/// the drive contract.
#[derive(Debug)]
pub struct Session {
    pub(crate) config: SessionConfig,
    pub(crate) state: SessionState,
    pub(crate) server: ServerLimits,
    pub(crate) conn: Option<Connection>,
    pub(crate) tx: BytesMut,
    pub(crate) events: VecDeque<Event>,
    /// Index of `state.inflight`'s packet identifiers.
    pub(crate) inflight_ids: InflightIds,
    /// Changes to the durable state not yet taken by the host
    /// ([`SessionConfig::durable`]).
    pub(crate) journal: VecDeque<StoreOp>,
    /// Packets decoded from the server, over every connection.
    pub(crate) packets_received: u64,
}

impl Session {
    /// A new session with empty state.
    pub fn new(config: SessionConfig) -> Self {
        Self::with_state(config, SessionState::default())
    }

    /// A session resuming `state` (for example one restored from storage).
    pub fn with_state(config: SessionConfig, state: SessionState) -> Self {
        Self {
            config,
            state,
            server: ServerLimits::default(),
            conn: None,
            tx: BytesMut::new(),
            events: VecDeque::new(),
            inflight_ids: InflightIds::default(),
            journal: VecDeque::new(),
            packets_received: 0,
        }
    }

    /// A session resuming what a store kept: `stored` must belong to the
    /// configured client identifier. `clock` rebases the stored times onto
    /// this process's `Instant`s.
    pub fn from_stored(
        config: SessionConfig,
        stored: &DurableState,
        clock: WallClock,
    ) -> Result<Self, Error> {
        let configured = config.connect.client_id.as_str();
        if stored.client_id != configured {
            return Err(Error::StoredClientIdMismatch {
                stored: stored.client_id.clone(),
                configured: configured.to_string(),
            });
        }
        Ok(Self::with_state(config, stored.to_state(clock)))
    }

    // ---- getters ----

    /// The configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The session state that outlives connections.
    pub fn state(&self) -> &SessionState {
        &self.state
    }

    /// Takes the session state out, for storing it; the session keeps a copy.
    pub fn snapshot(&self) -> SessionState {
        self.state.clone()
    }

    /// What the server allowed in its latest CONNACK.
    pub fn server_limits(&self) -> &ServerLimits {
        &self.server
    }

    /// Whether a CONNACK accepted the current connection.
    pub fn is_connected(&self) -> bool {
        matches!(&self.conn, Some(c) if c.phase == Phase::Connected)
    }

    /// Whether a connection is open or being opened.
    pub fn has_connection(&self) -> bool {
        self.conn.is_some()
    }

    /// The packet identifier an accepted message was last sent with, while it is in flight.
    pub fn packet_id_of(&self, id: crate::MessageId) -> Option<mqtt_proto::PacketId> {
        self.state
            .inflight
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.packet_id)
    }

    /// The next change to the durable state for the host's store
    /// ([`SessionConfig::durable`]). Store every one taken, and make them
    /// durable, before writing what [`Session::poll_transmit`] returns or
    /// handing out what [`Session::poll_event`] returns.
    pub fn poll_store_op(&mut self) -> Option<StoreOp> {
        self.journal.pop_front()
    }

    /// Whether [`Session::poll_store_op`] has something to return.
    pub fn has_store_ops(&self) -> bool {
        !self.journal.is_empty()
    }

    /// Records a change to the durable state, if a store keeps it.
    pub(crate) fn journal(&mut self, op: StoreOp) {
        if self.config.durable {
            self.journal.push_back(op);
        }
    }

    /// Whether [`Session::poll_event`] has something to return.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Whether [`Session::poll_transmit`] has something to return.
    pub fn has_transmit(&self) -> bool {
        !self.tx.is_empty()
    }

    /// How many bytes [`Session::poll_transmit`] would return now: an
    /// adapter that counts the bytes it took can tell when the packet just
    /// queued will have left (for QoS 0 completions).
    pub fn transmit_len(&self) -> usize {
        self.tx.len()
    }

    /// Frees the transmit, receive and event buffers that hold nothing.
    ///
    /// An emptied buffer keeps its allocation (the transmit buffer its
    /// 4 KiB), which suits a busy connection; an adapter
    /// keeping many mostly idle sessions calls this once it has written
    /// everything, so that an idle session holds no buffer. The next packet
    /// allocates what it needs. Nothing observable changes.
    pub fn release_idle_buffers(&mut self) {
        if self.tx.is_empty() {
            self.tx = BytesMut::new();
        }
        if self.events.is_empty() {
            self.events = VecDeque::new();
        }
        if let Some(conn) = self.conn.as_mut() {
            if conn.rx.is_empty() {
                // No partial packet waits in it, so the decoder loses nothing.
                conn.rx = BytesMut::new();
            }
        }
    }

    /// The keep alive in force on the current connection.
    pub fn keep_alive(&self) -> Option<Duration> {
        self.conn.as_ref().and_then(|c| c.keep_alive)
    }

    // ---- polls ----

    /// Bytes to write to the transport, in order; `None` when there are none.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.tx.is_empty() {
            None
        } else {
            Some(self.tx.split().freeze())
        }
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Session::handle_timeout`] must be called next; `None` when no
    /// timer runs (no connection, or keep alive disabled and connected).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let c = self.conn.as_ref()?;
        match c.phase {
            Phase::Connecting => c.connect_deadline,
            Phase::Connected => match (c.pingresp_deadline, c.keep_alive) {
                (Some(deadline), _) => Some(deadline),
                (None, Some(keep_alive)) => Some(c.last_sent.min(c.last_received) + keep_alive),
                (None, None) => None,
            },
        }
    }

    // ---- connection lifecycle ----

    /// Starts a connection on a freshly opened transport: queues CONNECT.
    ///
    /// Bytes still untransmitted from an earlier connection are discarded:
    /// they belong to a transport that is gone.
    pub fn connect(&mut self, now: Instant) -> Result<(), Error> {
        if self.conn.is_some() {
            return Err(Error::AlreadyConnected);
        }
        self.tx.clear();
        if self.tx.capacity() < TX_BUFFER {
            // `poll_transmit` splits what was written off this buffer; with
            // room for many packets, writing one rarely has to reclaim or
            // reallocate, and any growth later comes in chunks this large.
            self.tx = BytesMut::with_capacity(TX_BUFFER);
        }
        let mut connect = self.config.connect.clone();
        connect.clean_start = match self.config.clean_start {
            CleanStart::Always => true,
            CleanStart::Never => false,
            CleanStart::FirstOnly => !self.state.has_connected,
        };
        if connect.client_id.is_empty() {
            if let Some(id) = &self.state.assigned_client_id {
                connect.client_id = id.clone();
            }
        }
        let version = connect.protocol;
        // Whether an earlier CONNECT of this client asked to resume a session
        // that never connected: a session the broker reports now may be
        // one it created then, whose CONNACK was lost with the connection
        // (or with the program, if a store kept this).
        let resumed_before = self.state.resume_unconfirmed;
        if !connect.clean_start && !self.state.has_connected && !resumed_before {
            self.state.resume_unconfirmed = true;
            self.journal(StoreOp::Resuming(true));
        }
        // [MQTT-3.1.3-7, 3.1.1]: a zero-byte client id comes with clean
        // session 1 (5.0 leaves it to the server).
        if !version.is_v5() && connect.client_id.is_empty() && !connect.clean_start {
            return Err(Error::EmptyClientIdNeedsCleanSession);
        }
        // The largest packet we take: announced in 5.0, enforced locally in
        // every version as soon as a fixed header arrives.
        let max_in = self
            .config
            .max_incoming_packet_size
            .clamp(2, MAX_PACKET_SIZE as u32);
        let max_in = match connect.properties.maximum_packet_size {
            Some(max) if version.is_v5() => max.get().min(max_in),
            _ => max_in,
        };
        if version.is_v5() && max_in < MAX_PACKET_SIZE as u32 {
            connect.properties.maximum_packet_size = core::num::NonZeroU32::new(max_in);
        }
        connect.encode(version, &mut self.tx)?;
        self.trace_sent(0);
        let props = &connect.properties;
        let keep_alive =
            (connect.keep_alive > 0).then(|| Duration::from_secs(connect.keep_alive.into()));
        self.conn = Some(Connection {
            phase: Phase::Connecting,
            version,
            decoder: Decoder::new(version).with_max_packet_size(max_in),
            encoder: Encoder::new(version),
            rx: BytesMut::new(),
            keep_alive,
            ping_timeout: self
                .config
                .ping_timeout
                .unwrap_or_else(|| default_ping_timeout(keep_alive)),
            last_sent: now,
            last_received: now,
            connect_deadline: Some(now + self.config.connect_timeout),
            pingresp_deadline: None,
            requests: Vec::new(),
            inbound_aliases: InboundAliases::new(if version.is_v5() {
                props.topic_alias_maximum.unwrap_or(0)
            } else {
                0
            }),
            outbound_aliases: OutboundAliases::new(0),
            inbound_unacked: 0,
            receive_maximum: props.receive_maximum.map_or(u16::MAX, |v| v.get()),
            auth_method: props.authentication_method.clone(),
            reauthenticating: false,
            held_resends: VecDeque::new(),
            sweep: None,
            resumed_before,
        });
        Ok(())
    }

    /// Feeds bytes read from the transport. Input after the connection
    /// ended (or with none open) is ignored.
    pub fn handle_input(&mut self, now: Instant, data: &[u8]) {
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        conn.rx.extend_from_slice(data);
        conn.last_received = now;
        loop {
            let Some(conn) = self.conn.as_mut() else {
                return;
            };
            match conn.decoder.decode(&mut conn.rx) {
                Ok(Some(packet)) => {
                    self.packets_received += 1;
                    self.handle_packet(now, packet)
                }
                Ok(None) => return,
                Err(e) => return self.protocol_error(now, ProtocolError::Decode(e)),
            }
        }
    }

    /// How many packets [`Session::handle_input`] decoded from the server,
    /// over every connection: a host can tell from it whether one read
    /// brought several packets (the server streams faster than the host
    /// wakes up for each).
    pub fn packets_received(&self) -> u64 {
        self.packets_received
    }

    /// Runs the timers: connect timeout, keep alive, PINGRESP timeout,
    /// expiry of queued messages.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.expire_queued(now);
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        match conn.phase {
            Phase::Connecting => {
                if conn.connect_deadline.is_some_and(|d| now >= d) {
                    self.close(Disconnection::ConnectTimeout);
                }
            }
            Phase::Connected => {
                if conn.pingresp_deadline.is_some_and(|d| now >= d) {
                    return self.close(Disconnection::KeepAliveTimeout);
                }
                // Ping when either direction was quiet for the keep alive:
                // quiet sending is what the spec requires
                // ([MQTT-3.1.2-23, 3.1.1], [MQTT-3.1.2-20, 5.0]), quiet
                // receiving is how a half-open connection shows.
                if let (Some(keep_alive), None) = (conn.keep_alive, conn.pingresp_deadline) {
                    if now >= conn.last_sent.min(conn.last_received) + keep_alive {
                        conn.pingresp_deadline = Some(now + conn.ping_timeout);
                        self.send_required(now, &Packet::PingReq);
                    }
                }
            }
        }
    }

    /// The adapter lost the transport (EOF or I/O error). Unsent bytes are
    /// dropped; the session state is kept for the next connection.
    pub fn handle_transport_closed(&mut self, _now: Instant) {
        self.tx.clear();
        if self.conn.is_some() {
            self.close(Disconnection::TransportClosed);
        }
    }

    /// Ends the connection with DISCONNECT (reason and, in 5.0, properties
    /// such as a new Session Expiry Interval). The session state is kept.
    ///
    /// A DISCONNECT larger than the server's Maximum Packet Size loses its
    /// Reason String, then if need be its User Properties, and goes out
    /// without them [MQTT-3.14.2-3, MQTT-3.14.2-4, 5.0]; only if it still does not
    /// fit does the call fail with [`Error::PacketTooLarge`], sending nothing
    /// and leaving the connection open.
    pub fn disconnect(&mut self, now: Instant, disconnect: Disconnect) -> Result<(), Error> {
        let conn = self.conn.as_ref().ok_or(Error::NotConnected)?;
        let asked_expiry = self
            .config
            .connect
            .properties
            .session_expiry_interval
            .unwrap_or(0);
        if conn.version.is_v5()
            && asked_expiry == 0
            && disconnect
                .properties
                .session_expiry_interval
                .is_some_and(|e| e > 0)
        {
            return Err(Error::SessionExpiryNotAllowed);
        }
        let reason = disconnect.reason;
        self.send_shedding(now, disconnect)?;
        self.close(Disconnection::Local { reason });
        Ok(())
    }

    // ---- internals ----

    /// Encodes a packet for the current connection.
    pub(crate) fn send<P: Encodable + ?Sized>(
        &mut self,
        now: Instant,
        packet: &P,
    ) -> Result<(), EncodeError> {
        let conn = self.conn.as_mut().expect("send needs a connection");
        let start = self.tx.len();
        conn.encoder.encode(packet, &mut self.tx)?;
        conn.last_sent = now;
        self.trace_sent(start);
        Ok(())
    }

    /// With [`SessionConfig::trace_packets`], reports the packet encoded
    /// at `start` of the transmit buffer, read back from its bytes.
    pub(crate) fn trace_sent(&mut self, start: usize) {
        if !self.config.trace_packets {
            return;
        }
        let mut bytes = BytesMut::from(&self.tx[start..]);
        if let Ok(Some(packet)) = Decoder::new(self.config.version()).decode(&mut bytes) {
            self.events.push_back(Event::PacketTrace {
                sent: true,
                packet: Box::new(packet),
            });
        }
    }

    /// Turns [`SessionConfig::trace_packets`] on or off.
    pub fn set_trace_packets(&mut self, on: bool) {
        self.config.trace_packets = on;
    }

    /// Sends a DISCONNECT or AUTH of the application's. If it exceeds the
    /// server's Maximum Packet Size it is sent without its Reason String,
    /// and if that is not enough without its User Properties as well: the
    /// specification forbids sending either when it makes the packet too
    /// large (5.0 sections 3.14.2.2 and 3.15.2.2), and they are only
    /// diagnostics. A packet that does not fit even then is refused.
    pub(crate) fn send_shedding<P: Diagnostics>(
        &mut self,
        now: Instant,
        mut packet: P,
    ) -> Result<(), Error> {
        loop {
            match self.send(now, &packet) {
                Err(EncodeError::PacketTooLarge { .. }) if packet.shed_diagnostics() => {}
                Err(EncodeError::PacketTooLarge { size, max }) => {
                    return Err(Error::PacketTooLarge {
                        size,
                        max: max as u32,
                    })
                }
                result => return result.map_err(Error::from),
            }
        }
    }

    /// Sends a packet the protocol requires of us (an acknowledgement,
    /// PINGREQ). One that does not fit the server's Maximum Packet Size is
    /// not dropped, which would leave the exchange to hang: the connection
    /// ends, with the reason.
    pub(crate) fn send_required(&mut self, now: Instant, packet: &Packet) {
        if self.conn.is_none() {
            // Ended by an earlier packet of the same batch.
            return;
        }
        match self.send(now, packet) {
            Ok(()) => {}
            Err(EncodeError::PacketTooLarge { size, max }) => self.protocol_error(
                now,
                ProtocolError::MaximumPacketSizeTooSmall {
                    packet: packet.packet_type(),
                    size,
                    max: max as u32,
                },
            ),
            // Our acknowledgements and pings always encode otherwise.
            Err(e) => unreachable!("a required packet failed to encode: {e}"),
        }
    }

    /// Answers a server's protocol violation with DISCONNECT (5.0) and ends the connection.
    pub(crate) fn protocol_error(&mut self, now: Instant, error: ProtocolError) {
        if self.conn.as_ref().is_some_and(|c| c.version.is_v5()) {
            // Best effort: the DISCONNECT is tiny and always encodes.
            let _ = self.send(now, &Disconnect::new(error.reason_code()));
        }
        self.close(Disconnection::ProtocolError(error));
    }

    /// Ends the current connection: aborts pending requests and reports why.
    pub(crate) fn close(&mut self, why: Disconnection) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        for request in conn.requests {
            self.events.push_back(Event::RequestAborted {
                packet_id: request.packet_id,
            });
        }
        self.events.push_back(Event::Disconnected(why));
    }

    fn handle_packet(&mut self, now: Instant, packet: Packet) {
        let phase = match &self.conn {
            Some(c) => c.phase,
            None => return,
        };
        if self.config.trace_packets {
            self.events.push_back(Event::PacketTrace {
                sent: false,
                packet: Box::new(packet.clone()),
            });
        }
        let connected = phase == Phase::Connected;
        // Matched alone, not in a tuple with the phase: moving the (large)
        // packet into a tuple costs a copy on every packet received.
        let result = match packet {
            Packet::ConnAck(ack) if phase == Phase::Connecting => {
                self.on_connack(now, *ack);
                Ok(())
            }
            Packet::Auth(auth) => self.on_auth(now, auth),
            Packet::Disconnect(d) => {
                if d.properties.session_expiry_interval.is_some() {
                    // The server may not send one; report that, the connection ends either way.
                    self.close(Disconnection::ProtocolError(
                        ProtocolError::SessionExpiryFromServer,
                    ));
                } else {
                    self.close(Disconnection::Server {
                        reason: d.reason,
                        properties: d.properties.into_inner(),
                    });
                }
                Ok(())
            }
            Packet::Publish(p) if connected => self.on_publish(now, p),
            Packet::PubAck(a) if connected => self.on_puback(now, a),
            Packet::PubRec(a) if connected => self.on_pubrec(now, a),
            Packet::PubRel(a) if connected => self.on_pubrel(now, a),
            Packet::PubComp(a) if connected => self.on_pubcomp(now, a),
            Packet::SubAck(a) if connected => self.on_request_ack(
                PacketType::SubAck,
                a.packet_id,
                a.reasons,
                a.properties.into_inner(),
            ),
            Packet::UnsubAck(a) if connected => self.on_request_ack(
                PacketType::UnsubAck,
                a.packet_id,
                a.reasons,
                a.properties.into_inner(),
            ),
            Packet::PingResp if connected => {
                if let Some(c) = self.conn.as_mut() {
                    c.pingresp_deadline = None;
                }
                Ok(())
            }
            other => Err(ProtocolError::UnexpectedPacket(other.packet_type())),
        };
        if let Err(e) = result {
            self.protocol_error(now, e);
        }
    }

    fn on_connack(&mut self, now: Instant, ack: mqtt_proto::ConnAck) {
        if ack.reason != ReasonCode::Success {
            return self.close(Disconnection::Refused {
                reason: ack.reason,
                properties: Box::new(ack.properties),
            });
        }
        let asked_clean = {
            // Recompute what connect() sent: has_connected has not changed since.
            match self.config.clean_start {
                CleanStart::Always => true,
                CleanStart::Never => false,
                CleanStart::FirstOnly => !self.state.has_connected,
            }
        };
        if asked_clean && ack.session_present {
            // A clean start never resumes a session ([MQTT-3.2.2-1, 3.1.1],
            // [MQTT-3.2.2-2, 5.0]); without a session the client closes the
            // connection [MQTT-3.2.2-4, 5.0].
            return self.protocol_error(now, ProtocolError::UnexpectedPacket(PacketType::ConnAck));
        }
        let props = &ack.properties;
        // The smallest packets we must be able to send: PUBACK, PUBREC,
        // PUBREL, PUBCOMP take 4 bytes without reason code. Below that the
        // first message would hang; end the connection now, saying why.
        if let Some(max) = props
            .maximum_packet_size
            .map(|m| m.get())
            .filter(|&m| m < 4)
        {
            // Our DISCONNECT, too, must keep within it.
            if let Some(conn) = self.conn.as_mut() {
                conn.encoder.set_max_packet_size(max);
            }
            return self.protocol_error(
                now,
                ProtocolError::MaximumPacketSizeTooSmall {
                    packet: PacketType::PubAck,
                    size: 4,
                    max,
                },
            );
        }
        // Session Present for a session this client never had: an earlier
        // run's, whose state is lost.
        let unknown = ack.session_present && !self.state.has_connected;
        let resumed_before = self.conn.as_ref().is_some_and(|c| c.resumed_before);
        if unknown && !resumed_before && self.config.unknown_session == UnknownSessionPolicy::Close
        {
            self.state.resume_unconfirmed = false;
            self.journal(StoreOp::Resuming(false));
            // [MQTT-3.2.2-4, 5.0]. A normal DISCONNECT: nothing is wrong
            // with the server, and the will is not for this.
            let _ = self.send(now, &Disconnect::new(ReasonCode::Success));
            return self.close(Disconnection::SessionStateUnknown);
        }
        self.server = ServerLimits::from_connack(props);
        if let Some(id) = &props.assigned_client_identifier {
            self.state.assigned_client_id = Some(id.clone());
        }
        if !unknown {
            self.state.has_connected = true;
            self.state.resume_unconfirmed = false;
            self.journal(StoreOp::Connected {
                assigned_client_id: props.assigned_client_identifier.clone(),
            });
        }
        let auto_alias = self.config.auto_topic_alias;
        let server = self.server.clone();
        let conn = self.conn.as_mut().expect("connecting");
        conn.phase = Phase::Connected;
        conn.connect_deadline = None;
        if let Some(max) = server.maximum_packet_size {
            conn.encoder.set_max_packet_size(max);
        }
        if let Some(keep_alive) = props.server_keep_alive {
            conn.keep_alive = (keep_alive > 0).then(|| Duration::from_secs(keep_alive.into()));
            if self.config.ping_timeout.is_none() {
                conn.ping_timeout = default_ping_timeout(conn.keep_alive);
            }
        }
        if auto_alias {
            conn.outbound_aliases = OutboundAliases::new(server.topic_alias_maximum);
        }
        let session_present = ack.session_present;
        self.events.push_back(Event::Connected {
            session_present,
            properties: Box::new(ack.properties),
        });
        if session_present {
            if unknown {
                self.start_release_sweep(now);
            }
            self.resend_inflight(now);
            self.flush_acks(now);
        } else {
            self.discard_session(now);
        }
        self.pump(now);
    }
}
