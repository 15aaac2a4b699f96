//! From flags to a connected client: the [`ClientOptions`] the flags
//! describe, `-d`'s packet trace, and how a failed connection is reported
//! and ends the program (mosquitto's messages and exit statuses).
//!
//! | what happened | message (stderr) | exit status |
//! | --- | --- | --- |
//! | no TCP connection | `Error: Connection refused` (the system's words) | 1 |
//! | unknown host | `Unable to connect (Lookup error.).` | 1 |
//! | TLS failed | `Error: A TLS error occurred.` | 8 |
//! | CONNACK refused, 3.x | `Connection error: Connection Refused: not authorised.` | the return code (5) |
//! | CONNACK refused, 5.0 | `Connection error: Not authorized` | the reason code (135) |

use super::config::{Config, UrlScheme};
use super::{Reporter, Tool};
use adapter_std::{Client, ClientOptions, Error, Scheme, TlsOptions, Will, WsOptions};
use mqtt_client::layers::TlsErrorKind;
use mqtt_client::{LogStyle, TlsVersion};
use mqtt_proto::{ProtocolVersion, QoS, ReasonCode};
use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::num::NonZeroU16;
use std::time::Duration;

/// A failure that ends the program: what to print and the exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The message, with its newline (printed unless `--quiet`).
    pub message: String,
    /// The exit status.
    pub code: i32,
}

impl Failure {
    /// A failure with exit status 1.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: super::EXIT_FAILURE.into(),
        }
    }

    /// Prints the message (unless `--quiet`) and gives the exit status.
    pub fn report(&self, reporter: Reporter) -> std::process::ExitCode {
        reporter.error(&self.message);
        super::exit_code(self.code)
    }
}

/// The client options the flags describe. Fails as mosquitto does when it
/// applies them: a missing CA file, a TLS version it does not know, a
/// password without a user name.
pub fn options(config: &Config) -> Result<ClientOptions, Failure> {
    let host = config.host.clone().unwrap_or_else(|| "localhost".into());
    let version = config.version;
    if config.props.given && !version.is_v5() {
        // mosquitto cannot send 5.0 properties in 3.x: it refuses to
        // connect with CONNECT properties (and drops the others).
        return Err(Failure::new(
            "Unable to connect (This feature is not supported.).\n",
        ));
    }
    let mut options = ClientOptions::new(host, config.port())
        .protocol(version)
        .keep_alive(Duration::from_secs(config.keepalive.into()))
        .max_inflight(config.max_inflight)
        // libmosquitto's loop retries every second.
        .reconnect_delay(Duration::from_secs(1), Duration::from_secs(1));
    if let Some(id) = config.client_id() {
        options = options.client_id(id);
    }
    options = match (&config.username, &config.password) {
        (Some(u), Some(p)) => options.credentials(u.clone(), p.clone().into_bytes()),
        (Some(u), None) => options.username(u.clone()),
        (None, Some(_)) => {
            return Err(Failure::new(
                "Error: Problem setting username and/or password.\n",
            ))
        }
        (None, None) => options,
    };
    if let Some(dir) = &config.session_dir {
        // The session in a file store: with -c, a later run resumes it
        // where this one stopped, even if this one is killed.
        options = options.session_dir(dir.clone());
    }
    if !config.clean_session {
        // Without a store, a later run takes the broker's session over
        // (safely: see UnknownSessionPolicy::Adopt), so what was queued
        // while it was away arrives, as with mosquitto_sub -c.
        options = options
            .clean_start(false)
            .unknown_session(mqtt_session::UnknownSessionPolicy::Adopt);
    }
    if version.is_v5() {
        let mut connect = config.props.connect.clone();
        if connect.receive_maximum.is_none() {
            // libmosquitto always sends its in-flight window (20), and sub
            // narrows it to -C so no more messages are in flight than it
            // will print.
            let window = match config.msg_count {
                1..=19 if config.tool == Tool::Sub => config.msg_count as u16,
                _ => 20,
            };
            connect.receive_maximum = NonZeroU16::new(window);
        }
        options = options.connect_properties(connect);
        if config.props.topic_alias {
            options = options.auto_topic_alias(true);
        }
    }
    if let Some(topic) = &config.will.topic {
        let payload = config.will.payload.clone().unwrap_or_default();
        let mut will = Will::new(topic.clone(), payload)
            .qos(config.will.qos)
            .retain(config.will.retain);
        if version.is_v5() {
            will = will.properties(config.props.will.clone());
        }
        options = options.will(will);
    }
    if config.nodelay {
        options = options.tcp_nodelay(true);
    }
    if let Some(addr) = &config.bind_address {
        options = options.bind_address(bind_address(addr)?);
    }
    match config.url_scheme {
        Some(UrlScheme::Ws | UrlScheme::Wss) => {
            let path = config.ws_path.clone().unwrap_or_else(|| "/mqtt".into());
            options = options.websocket(WsOptions::new().path(path));
        }
        Some(UrlScheme::Mqtts) => options = options.transport(Scheme::Mqtts),
        _ => {}
    }
    if config.uses_tls() {
        options = options.tls(tls_options(config)?);
    }
    Ok(options)
}

/// `-A`: the local address (a name is looked up; any port).
fn bind_address(addr: &str) -> Result<SocketAddr, Failure> {
    (addr, 0)
        .to_socket_addrs()
        .ok()
        .and_then(|mut all| all.next())
        .ok_or_else(|| Failure::new("Unable to connect (Lookup error.).\n"))
}

/// The TLS flags as [`TlsOptions`].
fn tls_options(config: &Config) -> Result<TlsOptions, Failure> {
    let invalid =
        || Failure::new("Error: Problem setting TLS options, check the options are valid.\n");
    let t = &config.tls;
    let mut tls = TlsOptions::new().insecure_skip_hostname_check(t.insecure);
    if let Some(ca) = &t.cafile {
        if !ca.is_file() {
            return Err(Failure::new(
                "Error: Problem setting TLS options: File not found.\n",
            ));
        }
        tls = tls.ca_file(ca);
    }
    if let (Some(cert), Some(key)) = (&t.cert, &t.key) {
        if !cert.is_file() || !key.is_file() {
            return Err(Failure::new(
                "Error: Problem setting TLS options: File not found.\n",
            ));
        }
        tls = tls.client_cert(cert, key);
    }
    if let Some(v) = &t.version {
        // mosquitto's --tls-version is the oldest version accepted; rustls
        // has nothing older than 1.2, so tlsv1.1 allows what it can.
        let version = match v.as_str() {
            "tlsv1.1" => TlsVersion::Tls12,
            other => other.parse::<TlsVersion>().map_err(|_| invalid())?,
        };
        tls = tls.min_version(version);
    }
    if let Some(ciphers) = &t.ciphers {
        tls = tls.ciphers(ciphers);
    }
    if let Some(alpn) = &t.alpn {
        tls = tls.alpn([alpn.as_bytes()]);
    }
    Ok(tls)
}

/// Ends the run after `disconnect`: the background loop stops, and the
/// connection is driven on this thread until it is closed, so that what is
/// still queued goes out (DISCONNECT last), as mosquitto's loop does
/// before the program exits.
pub fn close(client: &Client) {
    let _ = client.loop_stop();
    // loop_once fails (NotConnected) once there is no connection, none
    // wanted and nothing left to report; the bound is for a broker that
    // stops reading.
    let give_up = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < give_up {
        if client.loop_once(Duration::from_millis(100)).is_err() {
            break;
        }
    }
}

/// With `-d`: libmosquitto's packet lines ("Client id sending CONNECT")
/// on stdout, as mosquitto_pub and mosquitto_sub print them.
pub fn trace_packets(options: ClientOptions) -> ClientOptions {
    options.packet_log_style(LogStyle::Mosquitto)
}

/// Prints the packet lines of [`trace_packets`] on stdout.
pub fn print_trace(client: &Client) {
    client.on_log(|_, level, line| {
        if let Some(line) = packet_line(level, line) {
            print_line(line);
        }
    });
}

/// `line` if it is one of [`trace_packets`]' packet lines.
pub fn packet_line(level: log::Level, line: &str) -> Option<&str> {
    (level == log::Level::Debug && line.starts_with("Client ")).then_some(line)
}

/// Prints a trace line on stdout, as libmosquitto's log callback in
/// mosquitto_pub and mosquitto_sub does.
pub fn print_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|_| out.flush());
}

/// The inbound message a trace line finishes, as libmosquitto sees it:
/// `sending PUBACK (m3, rc0)` a QoS 1 message, `sending PUBCOMP (m4)` a
/// QoS 2 one (libmosquitto hands them to the program then).
pub fn acknowledged(line: &str) -> Option<(QoS, u16)> {
    [
        (" sending PUBACK (m", QoS::AtLeastOnce),
        (" sending PUBCOMP (m", QoS::ExactlyOnce),
    ]
    .into_iter()
    .find_map(|(marker, qos)| {
        let rest = &line[line.find(marker)? + marker.len()..];
        let digits = rest.split(|c: char| !c.is_ascii_digit()).next()?;
        Some((qos, digits.parse().ok()?))
    })
}

/// mosquitto's "Connection error: ..." for a refusing CONNACK, and the
/// exit status: the 3.x return code, or the 5.0 reason code.
pub fn refusal(reason: ReasonCode, version: ProtocolVersion) -> Failure {
    if version.is_v5() {
        let text = reason_string(reason.as_u8());
        let message = if reason == ReasonCode::UnsupportedProtocolVersion {
            format!("Connection error: {text}. Try connecting to an MQTT v5 broker, or use MQTT v3.x mode.\n")
        } else {
            format!("Connection error: {text}\n")
        };
        Failure {
            message,
            code: reason.as_u8().into(),
        }
    } else {
        let code = reason.to_v3_connack().unwrap_or(reason.as_u8());
        Failure {
            message: format!("Connection error: {}\n", connack_string(code)),
            code: code.into(),
        }
    }
}

/// What ends the program when the first connection cannot be made.
/// `endpoint` is `host:port`, which transport errors start with.
pub fn connect_failure(error: &Error, endpoint: &str, version: ProtocolVersion) -> Failure {
    match error {
        Error::Refused { reason, .. } => refusal(*reason, version),
        Error::Io(e) => {
            let text = e.to_string();
            let text = text
                .strip_prefix(&format!("{endpoint}: "))
                .unwrap_or(&text)
                .to_string();
            if text.contains("lookup") || text.contains("Name or service") {
                return Failure::new("Unable to connect (Lookup error.).\n");
            }
            // "Connection refused (os error 111)" -> strerror's words.
            let text = match text.rfind(" (os error ") {
                Some(i) if text.ends_with(')') => text[..i].to_string(),
                _ => text,
            };
            Failure::new(format!("Error: {text}\n"))
        }
        // In TLS 1.3 the broker refuses a client certificate after the
        // handshake: libmosquitto sees the connection end.
        Error::Tls(e)
            if matches!(
                e.kind(),
                TlsErrorKind::ClientCertificateRequired | TlsErrorKind::ClientCertificateRejected
            ) =>
        {
            Failure {
                message: "Error: The connection was lost.\n".into(),
                code: 7,
            }
        }
        // mosquitto's loop fails with MOSQ_ERR_TLS.
        Error::Tls(_) => Failure {
            message: "Error: A TLS error occurred.\n".into(),
            code: 8,
        },
        Error::Timeout => Failure::new("Error: Connection timed out\n"),
        Error::ConnectionLost(_) => Failure {
            message: "Error: The connection was lost.\n".into(),
            code: 7,
        },
        other => Failure::new(format!("Unable to connect ({other}).\n")),
    }
}

/// mosquitto's `mosquitto_connack_string` (3.x CONNACK return codes).
pub fn connack_string(code: u8) -> &'static str {
    match code {
        0 => "Connection Accepted.",
        1 => "Connection Refused: unacceptable protocol version.",
        2 => "Connection Refused: identifier rejected.",
        3 => "Connection Refused: broker unavailable.",
        4 => "Connection Refused: bad user name or password.",
        5 => "Connection Refused: not authorised.",
        _ => "Connection Refused: unknown reason.",
    }
}

/// mosquitto's `mosquitto_reason_string` (5.0 reason codes).
pub fn reason_string(code: u8) -> &'static str {
    match code {
        0x00 => "Success",
        0x01 => "Granted QoS 1",
        0x02 => "Granted QoS 2",
        0x04 => "Disconnect with Will Message",
        0x10 => "No matching subscribers",
        0x11 => "No subscription existed",
        0x18 => "Continue authentication",
        0x19 => "Re-authenticate",
        0x80 => "Unspecified error",
        0x81 => "Malformed Packet",
        0x82 => "Protocol Error",
        0x83 => "Implementation specific error",
        0x84 => "Unsupported Protocol Version",
        0x85 => "Client Identifier not valid",
        0x86 => "Bad User Name or Password",
        0x87 => "Not authorized",
        0x88 => "Server unavailable",
        0x89 => "Server busy",
        0x8A => "Banned",
        0x8B => "Server shutting down",
        0x8C => "Bad authentication method",
        0x8D => "Keep Alive timeout",
        0x8E => "Session taken over",
        0x8F => "Topic Filter invalid",
        0x90 => "Topic Name invalid",
        0x91 => "Packet Identifier in use",
        0x92 => "Packet Identifier not found",
        0x93 => "Receive Maximum exceeded",
        0x94 => "Topic Alias invalid",
        0x95 => "Packet too large",
        0x96 => "Message rate too high",
        0x97 => "Quota exceeded",
        0x98 => "Administrative action",
        0x99 => "Payload format invalid",
        0x9A => "Retain not supported",
        0x9B => "QoS not supported",
        0x9C => "Use another server",
        0x9D => "Server moved",
        0x9E => "Shared Subscriptions not supported",
        0x9F => "Connection rate exceeded",
        0xA0 => "Maximum connect time",
        0xA1 => "Subscription identifiers not supported",
        0xA2 => "Wildcard Subscriptions not supported",
        _ => "Unknown reason",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_as_mosquitto_reports_them() {
        let f = refusal(ReasonCode::NotAuthorized, ProtocolVersion::V3_1_1);
        assert_eq!(
            f.message,
            "Connection error: Connection Refused: not authorised.\n"
        );
        assert_eq!(f.code, 5);
        let f = refusal(ReasonCode::NotAuthorized, ProtocolVersion::V5);
        assert_eq!(f.message, "Connection error: Not authorized\n");
        assert_eq!(f.code, 135);
    }

    #[test]
    fn acknowledgements_in_the_trace() {
        assert_eq!(
            acknowledged("Client a b sending PUBACK (m3, rc0)"),
            Some((QoS::AtLeastOnce, 3))
        );
        assert_eq!(
            acknowledged("Client x sending PUBCOMP (m65535)"),
            Some((QoS::ExactlyOnce, 65535))
        );
        assert_eq!(
            acknowledged("Client x received PUBCOMP (Mid: 1, RC:0)"),
            None
        );
        assert_eq!(acknowledged("Client x sending PUBREC (m1, rc0)"), None);
    }

    #[test]
    fn transport_errors_in_the_systems_words() {
        let e = Error::io_at(
            "127.0.0.1:1",
            std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        );
        let f = connect_failure(&e, "127.0.0.1:1", ProtocolVersion::V3_1_1);
        assert!(f.message.starts_with("Error: "), "{f:?}");
        assert!(!f.message.contains("127.0.0.1"), "{f:?}");
        let refused = std::io::Error::from_raw_os_error(111);
        let f = connect_failure(&Error::io_at("h:1", refused), "h:1", ProtocolVersion::V5);
        if cfg!(target_os = "linux") {
            assert_eq!(f.message, "Error: Connection refused\n");
        }
        assert_eq!(f.code, 1);
    }
}
