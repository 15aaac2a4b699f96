//! Client options: Paho's constructor arguments and setters, as a builder.

use crate::error::Error;
use crate::layers::{LayerSetup, TlsOptions, WsOptions};
use crate::packet_log::LogStyle;
use crate::store::{SessionStore, StoreChoice};
use crate::url::{BrokerUrl, Scheme};
use bytes::Bytes;
use core::time::Duration;
use mqtt_proto::{
    ConnectProperties, LastWill, MqttString, ProtocolVersion, QoS, TopicName, WillProperties,
};
use mqtt_session::{
    CleanStart, QueueFullPolicy, SessionConfig, SessionLostPolicy, UnknownSessionPolicy,
};
use std::any::Any;
use std::net::SocketAddr;
use std::sync::Arc;

/// Paho's `userdata`: any value, shared with the callbacks through the
/// client (`user_data::<T>()`).
pub type UserData = Arc<dyn Any + Send + Sync>;

/// A will message: published by the broker if the connection ends without DISCONNECT.
#[derive(Debug, Clone)]
pub struct Will {
    topic: String,
    payload: Bytes,
    qos: QoS,
    retain: bool,
    properties: WillProperties,
}

impl Will {
    /// A QoS 0, non-retained will.
    pub fn new(topic: impl Into<String>, payload: impl Into<Bytes>) -> Self {
        Self {
            topic: topic.into(),
            payload: payload.into(),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: WillProperties::default(),
        }
    }

    /// Sets the QoS.
    pub fn qos(mut self, qos: QoS) -> Self {
        self.qos = qos;
        self
    }

    /// Sets the retain flag.
    pub fn retain(mut self, retain: bool) -> Self {
        self.retain = retain;
        self
    }

    /// Sets the 5.0 will properties (delay, expiry, content type ...).
    pub fn properties(mut self, properties: WillProperties) -> Self {
        self.properties = properties;
        self
    }
}

/// Everything that configures a client (`adapter_std::Client`,
/// `adapter_mio::MqttClient`, a [`crate::ClientCore`]).
///
/// ```
/// use mqtt_client::{ClientOptions, Will};
/// use mqtt_proto::{ProtocolVersion, QoS};
/// use std::time::Duration;
///
/// let options = ClientOptions::new("localhost", 1883)
///     .client_id("sensor-7")
///     .protocol(ProtocolVersion::V5)
///     .keep_alive(Duration::from_secs(30))
///     .credentials("alice", "secret")
///     .will(Will::new("status/sensor-7", "offline").qos(QoS::AtLeastOnce).retain(true));
/// let from_url = ClientOptions::from_url("mqtt://alice:secret@localhost:1883").unwrap();
/// assert_eq!(from_url.port(), 1883);
/// ```
#[derive(Clone)]
pub struct ClientOptions {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) scheme: Scheme,
    pub(crate) tls: TlsOptions,
    pub(crate) websocket: WsOptions,
    pub(crate) client_id: String,
    pub(crate) protocol: ProtocolVersion,
    pub(crate) clean_start: Option<CleanStart>,
    pub(crate) keep_alive: Duration,
    pub(crate) will: Option<Will>,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<Bytes>,
    pub(crate) connect_properties: ConnectProperties,
    pub(crate) max_inflight: Option<u16>,
    pub(crate) max_queued_messages: usize,
    pub(crate) max_queued_bytes: usize,
    pub(crate) queue_full: QueueFullPolicy,
    pub(crate) session_lost: SessionLostPolicy,
    pub(crate) unknown_session: Option<UnknownSessionPolicy>,
    pub(crate) downgrade_qos: bool,
    pub(crate) manual_ack: bool,
    pub(crate) auto_topic_alias: bool,
    pub(crate) connect_timeout: Duration,
    pub(crate) batch_window: Duration,
    pub(crate) ping_timeout: Option<Duration>,
    pub(crate) max_incoming_packet_size: u32,
    pub(crate) reconnect_min: Duration,
    pub(crate) reconnect_max: Duration,
    pub(crate) tcp_nodelay: bool,
    pub(crate) bind_address: Option<SocketAddr>,
    pub(crate) retry_first_connection: bool,
    pub(crate) packet_log_style: LogStyle,
    pub(crate) log_payloads: bool,
    pub(crate) user_data: Option<UserData>,
    pub(crate) store: StoreChoice,
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("scheme", &self.scheme)
            .field("client_id", &self.client_id)
            .field("protocol", &self.protocol)
            .field("keep_alive", &self.keep_alive)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

impl ClientOptions {
    /// Options for a broker at `host:port` with Paho's defaults: MQTT 3.1.1,
    /// a generated client id, clean session, 60 s keep alive, TCP_NODELAY,
    /// reconnect delay 1 s doubling to 120 s, a failed first connection
    /// not retried by `loop_forever`, packet logs in Paho's wording.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            scheme: Scheme::Mqtt,
            tls: TlsOptions::new(),
            websocket: WsOptions::new(),
            client_id: String::new(),
            protocol: ProtocolVersion::V3_1_1,
            clean_start: None,
            keep_alive: Duration::from_secs(60),
            will: None,
            username: None,
            password: None,
            connect_properties: ConnectProperties::default(),
            max_inflight: None,
            max_queued_messages: 10_000,
            max_queued_bytes: 64 << 20,
            queue_full: QueueFullPolicy::RejectNew,
            session_lost: SessionLostPolicy::Republish,
            unknown_session: None,
            downgrade_qos: false,
            manual_ack: false,
            auto_topic_alias: false,
            connect_timeout: Duration::from_secs(30),
            batch_window: Self::DEFAULT_BATCH_WINDOW,
            ping_timeout: None,
            max_incoming_packet_size: mqtt_session::DEFAULT_MAX_INCOMING_PACKET_SIZE,
            reconnect_min: Duration::from_secs(1),
            reconnect_max: Duration::from_secs(120),
            tcp_nodelay: true,
            bind_address: None,
            retry_first_connection: false,
            packet_log_style: LogStyle::Paho,
            log_payloads: false,
            user_data: None,
            store: StoreChoice::None,
        }
    }

    /// Options from `scheme://[user[:password]@]host[:port][/path]`:
    /// `mqtt://` (TCP), `mqtts://` (TLS, verified against the system's
    /// roots unless [`ClientOptions::tls`] says otherwise), `ws://` and
    /// `wss://` (WebSocket on the path, `/mqtt` when absent).
    pub fn from_url(url: &str) -> Result<Self, Error> {
        let u = BrokerUrl::parse(url)?;
        let mut o = Self::new(u.host, u.port);
        o.scheme = u.scheme;
        o.websocket = WsOptions::new().path(u.path);
        o.username = u.username;
        o.password = u.password.map(Bytes::from);
        Ok(o)
    }

    /// The broker host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The broker port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Sets the broker address.
    pub fn broker(mut self, host: impl Into<String>, port: u16) -> Self {
        self.host = host.into();
        self.port = port;
        self
    }

    /// The client identifier; an empty one is replaced by a random one.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = id.into();
        self
    }

    /// The protocol version (3.1, 3.1.1 or 5.0).
    pub fn protocol(mut self, version: ProtocolVersion) -> Self {
        self.protocol = version;
        self
    }

    /// Clean session (3.x) / clean start on every connection (true) or never (false).
    #[doc(alias = "clean_session")]
    pub fn clean_start(mut self, clean: bool) -> Self {
        self.clean_start = Some(if clean {
            CleanStart::Always
        } else {
            CleanStart::Never
        });
        self
    }

    /// The clean-start policy in full (first connection only, as Paho does for 5.0).
    #[doc(alias = "clean_start")]
    #[doc(alias = "MQTT_CLEAN_START_FIRST_ONLY")]
    pub fn clean_start_policy(mut self, policy: CleanStart) -> Self {
        self.clean_start = Some(policy);
        self
    }

    /// Keep alive; zero disables it. Whole seconds on the wire.
    #[doc(alias = "keepalive")]
    pub fn keep_alive(mut self, keep_alive: Duration) -> Self {
        self.keep_alive = keep_alive;
        self
    }

    /// The will message.
    #[doc(alias = "will_set")]
    pub fn will(mut self, will: Will) -> Self {
        self.will = Some(will);
        self
    }

    /// User name and password.
    #[doc(alias = "username_pw_set")]
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<Bytes>) -> Self {
        self.username = Some(username.into());
        self.password = Some(password.into());
        self
    }

    /// User name only.
    #[doc(alias = "username_pw_set")]
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// CONNECT properties (5.0): session expiry, receive maximum, maximum
    /// packet size, topic alias maximum, user properties, authentication ...
    #[doc(alias = "properties")]
    pub fn connect_properties(mut self, properties: ConnectProperties) -> Self {
        self.connect_properties = properties;
        self
    }

    /// Most unacknowledged outbound QoS 1/2 messages (default 20 for 3.x; for
    /// 5.0 the server's Receive Maximum, which also caps a larger value).
    ///
    /// A 3.x server has no way to announce its limit. Mosquitto's default
    /// is 20 per client (`max_inflight_messages`); beyond it, it
    /// acknowledges a message and drops it. Raise this only as far as the
    /// broker allows.
    #[doc(alias = "max_inflight_messages_set")]
    #[doc(alias = "max_inflight_messages")]
    pub fn max_inflight(mut self, n: u16) -> Self {
        self.max_inflight = Some(n.max(1));
        self
    }

    /// Limits of the queue of messages waiting for the in-flight window.
    #[doc(alias = "max_queued_messages_set")]
    #[doc(alias = "max_queued_messages")]
    pub fn max_queued(mut self, messages: usize, bytes: usize) -> Self {
        self.max_queued_messages = messages;
        self.max_queued_bytes = bytes;
        self
    }

    /// What `publish` does when the queue is full.
    pub fn queue_full(mut self, policy: QueueFullPolicy) -> Self {
        self.queue_full = policy;
        self
    }

    /// What happens to unfinished messages when the broker lost the session.
    pub fn session_lost(mut self, policy: SessionLostPolicy) -> Self {
        self.session_lost = policy;
        self
    }

    /// What happens when the broker resumes a session this client knows
    /// nothing of (clean session off, a new process, no store): by default
    /// the connection closes in 5.0, as the specification requires, and
    /// the session is taken over safely in 3.x. See [`UnknownSessionPolicy`].
    pub fn unknown_session(mut self, policy: UnknownSessionPolicy) -> Self {
        self.unknown_session = Some(policy);
        self
    }

    /// Publish above the broker's Maximum QoS at that maximum instead of failing.
    pub fn downgrade_qos(mut self, downgrade: bool) -> Self {
        self.downgrade_qos = downgrade;
        self
    }

    /// Acknowledge inbound QoS 1/2 messages only when the application calls
    /// the client's `ack` (Paho's `manual_ack_set(True)`).
    #[doc(alias = "manual_ack_set")]
    pub fn manual_ack(mut self, manual: bool) -> Self {
        self.manual_ack = manual;
        self
    }

    /// Give topics aliases automatically within the broker's Topic Alias Maximum (5.0).
    pub fn auto_topic_alias(mut self, auto: bool) -> Self {
        self.auto_topic_alias = auto;
        self
    }

    /// How long opening the transport plus waiting for CONNACK may take.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The default [`ClientOptions::batch_window`]: 200 µs.
    pub const DEFAULT_BATCH_WINDOW: Duration = Duration::from_micros(200);

    /// How long a network thread lets input gather before it reads again
    /// while the broker streams: when its last read brought several
    /// packets at once, or 32 or more of its messages are in flight.
    /// Default 200 µs; `Duration::ZERO` turns it off.
    ///
    /// Under a stream, a thread that wakes up for every packet spends most
    /// of its time waking up: with the window, each wake-up reads, answers
    /// and writes a batch (in the end-to-end benchmark, a quarter of the
    /// CPU per message at QoS 1). A request and its answers, or a trickle
    /// of packets, never count as a stream. While one runs, anything else
    /// on the connection (a SUBACK, a lone message) may wait up to one
    /// window; nothing waits longer, and with no stream nothing waits.
    /// Used by the blocking client's loops; `adapter-mio`'s `Driver` has
    /// its own (`Driver::set_batch_window`).
    pub fn batch_window(mut self, window: Duration) -> Self {
        self.batch_window = window;
        self
    }

    /// How long to wait for PINGRESP (default: half the keep alive, so that
    /// a silent broker is found within 1.5 times the keep alive).
    pub fn ping_timeout(mut self, timeout: Duration) -> Self {
        self.ping_timeout = Some(timeout);
        self
    }

    /// The largest packet this client accepts (default 16 MiB): 5.0 tells
    /// the broker as Maximum Packet Size, every version refuses a larger
    /// packet at its fixed header rather than buffer it.
    pub fn max_incoming_packet_size(mut self, bytes: u32) -> Self {
        self.max_incoming_packet_size = bytes;
        self
    }

    /// Reconnect delay: starts at `min`, doubles up to `max`, with jitter.
    #[doc(alias = "reconnect_delay_set")]
    pub fn reconnect_delay(mut self, min: Duration, max: Duration) -> Self {
        self.reconnect_min = min;
        self.reconnect_max = max.max(min);
        self
    }

    /// TCP_NODELAY (on by default: without it every round trip can cost ~40 ms).
    pub fn tcp_nodelay(mut self, nodelay: bool) -> Self {
        self.tcp_nodelay = nodelay;
        self
    }

    /// The local address to bind before connecting.
    #[doc(alias = "bind_port")]
    pub fn bind_address(mut self, addr: SocketAddr) -> Self {
        self.bind_address = Some(addr);
        self
    }

    /// The transport, as a URL scheme would choose it (Paho's
    /// `transport="websockets"` is [`Scheme::Ws`]).
    pub fn transport(mut self, scheme: Scheme) -> Self {
        self.scheme = scheme;
        self
    }

    /// Whether a loop retries a first connection (asked with
    /// `connect_async`) that could not be opened (Paho's
    /// `loop_forever(retry_first_connection=...)`); off by default, as in
    /// Paho: the blocking client's `loop_forever` then returns the error,
    /// and an event-loop client's `loop_misc` stops trying, after
    /// on_connect_fail in both. `loop_start`'s thread always retries, as
    /// Paho's does. A blocking `connect` returns its error either way, and
    /// connections lost after the first are always retried.
    pub fn retry_first_connection(mut self, retry: bool) -> Self {
        self.retry_first_connection = retry;
        self
    }

    /// The wording of the packet log lines (one per packet, at debug level
    /// and to on_log): Paho's (the default) or libmosquitto's, as
    /// `mosquitto_pub -d` prints them. See [`crate::packet_log`].
    pub fn packet_log_style(mut self, style: LogStyle) -> Self {
        self.packet_log_style = style;
        self
    }

    /// Whether the packet log lines show PUBLISH payloads (off by default).
    pub fn log_payloads(mut self, show: bool) -> Self {
        self.log_payloads = show;
        self
    }

    /// The user data the callbacks reach through the client (Paho's
    /// `Client(userdata=...)`); see the client's `user_data_set`.
    #[doc(alias = "userdata")]
    pub fn user_data<T: Any + Send + Sync>(mut self, data: T) -> Self {
        self.user_data = Some(Arc::new(data));
        self
    }

    /// The transport in use.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// TLS settings (Paho's `tls_set`); turns TLS on: `mqtt` becomes
    /// `mqtts`, `ws` becomes `wss`.
    #[doc(alias = "tls_set")]
    pub fn tls(mut self, tls: TlsOptions) -> Self {
        self.tls = tls;
        self.scheme = match self.scheme {
            Scheme::Mqtt => Scheme::Mqtts,
            Scheme::Ws => Scheme::Wss,
            other => other,
        };
        self
    }

    /// WebSocket settings (Paho's `ws_set_options`); turns WebSocket on:
    /// `mqtt` becomes `ws`, `mqtts` becomes `wss`.
    #[doc(alias = "ws_set_options")]
    pub fn websocket(mut self, websocket: WsOptions) -> Self {
        self.websocket = websocket;
        self.scheme = match self.scheme {
            Scheme::Mqtt => Scheme::Ws,
            Scheme::Mqtts => Scheme::Wss,
            other => other,
        };
        self
    }

    /// The TLS settings (used by `mqtts` and `wss`).
    pub fn tls_options(&self) -> &TlsOptions {
        &self.tls
    }

    /// The WebSocket settings (used by `ws` and `wss`).
    pub fn websocket_options(&self) -> &WsOptions {
        &self.websocket
    }

    /// The layers each connection needs for the scheme (TLS for `mqtts`,
    /// WebSocket for `ws`, both for `wss`), `None` for plain TCP. Reads
    /// the certificate files now.
    pub fn layer_setup(&self) -> Result<Option<LayerSetup>, Error> {
        let (tls, ws) = match self.scheme {
            Scheme::Mqtt => return Ok(None),
            Scheme::Mqtts => (Some(&self.tls), None),
            Scheme::Ws => (None, Some(&self.websocket)),
            Scheme::Wss => (Some(&self.tls), Some(&self.websocket)),
        };
        Ok(Some(LayerSetup::new(&self.host, self.port, tls, ws)?))
    }

    /// `host:port`, as errors and logs name the broker.
    pub fn endpoint(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// How long opening the transport plus waiting for CONNACK may take.
    pub fn connect_timeout_value(&self) -> Duration {
        self.connect_timeout
    }

    /// The window set with [`ClientOptions::batch_window`].
    pub fn batch_window_value(&self) -> Duration {
        self.batch_window
    }

    /// The local address sockets are bound to before connecting, if any.
    pub fn bind_address_value(&self) -> Option<SocketAddr> {
        self.bind_address
    }

    /// Reconnect delay bounds (min, max).
    pub fn reconnect_delays(&self) -> (Duration, Duration) {
        (self.reconnect_min, self.reconnect_max)
    }

    /// Whether TCP_NODELAY is set on new sockets.
    pub fn nodelay(&self) -> bool {
        self.tcp_nodelay
    }

    /// The configured client id (empty: one is generated).
    pub fn client_id_value(&self) -> &str {
        &self.client_id
    }

    /// The protocol version.
    pub fn protocol_value(&self) -> ProtocolVersion {
        self.protocol
    }

    /// Whether `loop_forever` retries a failed first connection.
    pub fn retry_first_connection_value(&self) -> bool {
        self.retry_first_connection
    }

    /// The wording of the packet log lines.
    pub fn packet_log_style_value(&self) -> LogStyle {
        self.packet_log_style
    }

    /// Whether the packet log lines show payloads.
    pub fn log_payloads_value(&self) -> bool {
        self.log_payloads
    }

    /// Keeps the session in a [`crate::store::FileStore`] in `dir` (created, private to
    /// its owner, if missing), so that a program killed at any instant and
    /// started again resumes it: no accepted message lost, no QoS 2
    /// message delivered twice (see [`crate::store`] for the exact
    /// guarantee). Meant with clean session off and a fixed client id;
    /// Paho's `persistence`. Without a store the session lives in memory.
    #[doc(alias = "persistence")]
    pub fn session_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.store = StoreChoice::Dir(dir.into());
        self
    }

    /// Keeps the session in a store of the application's own (a
    /// [`crate::store::MemoryStore`], SQLite ...). Clones of these options
    /// share it: one client at a time may use it.
    pub fn session_store(mut self, store: impl SessionStore + 'static) -> Self {
        self.store = StoreChoice::Custom(std::sync::Arc::new(std::sync::Mutex::new(store)));
        self
    }

    /// The session store chosen, if any.
    pub fn store_value(&self) -> &StoreChoice {
        &self.store
    }

    /// The user data set with [`ClientOptions::user_data`].
    pub fn user_data_value(&self) -> Option<UserData> {
        self.user_data.clone()
    }

    /// The engine configuration these options describe (for adapters).
    ///
    /// Without a client id, a random one is made, as Paho does; unless the
    /// session is to be kept (clean session off), which a random id could
    /// never resume: that is an error, as in Paho (and a 3.x server would
    /// refuse a zero-byte id with it [MQTT-3.1.3-7, 3.1.1]).
    pub fn session_config(&self) -> Result<SessionConfig, Error> {
        if self.client_id.is_empty() && self.clean_start == Some(CleanStart::Never) {
            return Err(Error::Session(
                mqtt_session::Error::EmptyClientIdNeedsCleanSession,
            ));
        }
        let client_id = if self.client_id.is_empty() {
            generated_client_id()
        } else {
            self.client_id.clone()
        };
        let mut c = SessionConfig::new(self.protocol, MqttString::new(client_id)?);
        c.connect.keep_alive = self.keep_alive.as_secs().min(u16::MAX as u64) as u16;
        if let Some(will) = &self.will {
            c.connect.will = Some(LastWill {
                topic: TopicName::new(will.topic.clone())?,
                payload: will.payload.clone(),
                qos: will.qos,
                retain: will.retain,
                properties: will.properties.clone(),
            });
        }
        c.connect.username = self.username.clone().map(MqttString::new).transpose()?;
        c.connect.password = self.password.clone();
        c.connect.properties = self.connect_properties.clone();
        if let Some(policy) = self.clean_start {
            c.clean_start = policy;
        }
        if let Some(n) = self.max_inflight {
            c.max_inflight = n;
        }
        c.max_queued_messages = self.max_queued_messages;
        c.max_queued_bytes = self.max_queued_bytes;
        c.queue_full = self.queue_full;
        c.session_lost = self.session_lost;
        if let Some(policy) = self.unknown_session {
            c.unknown_session = policy;
        }
        c.downgrade_qos = self.downgrade_qos;
        c.auto_ack = !self.manual_ack;
        c.auto_topic_alias = self.auto_topic_alias;
        c.connect_timeout = self.connect_timeout;
        c.ping_timeout = self.ping_timeout;
        c.max_incoming_packet_size = self.max_incoming_packet_size;
        Ok(c)
    }
}

/// A random client identifier that every version accepts (at most 23
/// characters from [0-9a-zA-Z]).
pub(crate) fn generated_client_id() -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut rng = crate::backoff::Rng::seeded();
    let tail: String = (0..14)
        .map(|_| ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize] as char)
        .collect();
    format!("mqtt-rs-{tail}")
}
