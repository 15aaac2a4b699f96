//! One log line per MQTT packet, in the wording Paho users and mosquitto
//! users already read.
//!
//! The engine reports every packet it sends and receives
//! (`mqtt_session::Event::PacketTrace`) while someone listens; the client
//! core renders each with a [`PacketLog`] and hands the lines to the `log`
//! crate (target [`PACKET_TARGET`], debug level) and to `on_log`.
//!
//! Two styles:
//!
//! - [`LogStyle::Paho`], the lines of Paho Python 2.x's `on_log` /
//!   `enable_logger`:
//!   `Sending PUBLISH (d0, q1, r0, m1), 'b'a/b'', ... (5 bytes)`,
//!   `Received PUBACK (Mid: 1)`;
//! - [`LogStyle::Mosquitto`], libmosquitto's, as `mosquitto_pub -d` and
//!   `mosquitto_sub -d` print them:
//!   `Client id sending PUBLISH (d0, q1, r0, m1, 'a/b', ... (5 bytes))`,
//!   `Client id received PUBACK (Mid: 1, RC:0)`.
//!
//! ```
//! use mqtt_client::packet_log::{LogStyle, PacketLog};
//! use mqtt_client::mqtt_proto::{Delivery, Packet, PacketId, ProtocolVersion, Publish, TopicName};
//!
//! let mut publish = Publish::new(TopicName::new("a/b").unwrap(), "hello");
//! publish.delivery = Delivery::AtLeastOnce(PacketId::new(1).unwrap());
//! let packet = Packet::Publish(publish);
//! let paho = PacketLog::new(LogStyle::Paho, ProtocolVersion::V3_1_1);
//! assert_eq!(
//!     paho.lines(&packet, true, "id"),
//!     ["Sending PUBLISH (d0, q1, r0, m1), 'b'a/b'', ... (5 bytes)"]
//! );
//! let mosquitto = PacketLog::new(LogStyle::Mosquitto, ProtocolVersion::V3_1_1);
//! assert_eq!(
//!     mosquitto.lines(&packet, true, "id"),
//!     ["Client id sending PUBLISH (d0, q1, r0, m1, 'a/b', ... (5 bytes))"]
//! );
//! ```
//!
//! What a line never shows: the password (CONNECT shows only its flag, as
//! Paho and libmosquitto do), authentication data (shown as `***`), the
//! will's payload, key material (no TLS secret reaches this layer).
//! Payloads appear only with [`PacketLog::payloads`], in place of the
//! `...` that stands for them, as a Python bytes literal (`b'hello'`).
//!
//! Where the two libraries print their own message id rather than what
//! is on the wire, these lines print the wire: a QoS 0 PUBLISH we send
//! shows `m0` (Paho and libmosquitto show the `mid` they gave it), and
//! `m` / `Mid` is always the packet identifier. Neither library logs a
//! sent AUTH (libmosquitto) or AUTH at all (Paho, which has no enhanced
//! authentication); these lines follow each library's pattern for it.

mod mosquitto;
mod paho;
mod python;

use mqtt_proto::{Packet, PacketType, ProtocolVersion, ReasonCode};

/// The `log` target of the packet lines: enable debug for it to see them
/// (`RUST_LOG=mqtt_client::packet=debug` with env_logger, or
/// [`crate::enable_logger`]).
pub const PACKET_TARGET: &str = "mqtt_client::packet";

/// Whose wording the packet lines use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LogStyle {
    /// Paho Python 2.x (`on_log`, `enable_logger`): `Sending CONNECT ...`,
    /// `Received PUBACK (Mid: 1)`.
    #[default]
    Paho,
    /// libmosquitto (`mosquitto_pub -d`, `mosquitto_sub -d`):
    /// `Client <id> sending CONNECT`, `Client <id> received PUBACK (Mid: 1, RC:0)`.
    Mosquitto,
}

/// Renders traced packets as log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketLog {
    style: LogStyle,
    version: ProtocolVersion,
    payloads: bool,
}

impl PacketLog {
    /// Lines in `style` for packets of a `version` connection, payloads
    /// left out.
    pub fn new(style: LogStyle, version: ProtocolVersion) -> Self {
        Self {
            style,
            version,
            payloads: false,
        }
    }

    /// Whether PUBLISH payloads are shown (off by default: they may be
    /// large or confidential).
    pub fn payloads(mut self, show: bool) -> Self {
        self.payloads = show;
        self
    }

    /// The style.
    pub fn style(&self) -> LogStyle {
        self.style
    }

    /// The lines for `packet`, sent by the client (`sent`) or received,
    /// of the client `client_id` (which only the mosquitto style names).
    /// One line per packet, except the mosquitto style's SUBSCRIBE and
    /// UNSUBSCRIBE, which libmosquitto logs one line per topic filter.
    pub fn lines(&self, packet: &Packet, sent: bool, client_id: &str) -> Vec<String> {
        match self.style {
            LogStyle::Paho => vec![paho::line(packet, sent, self.version, self.payloads)],
            LogStyle::Mosquitto => {
                mosquitto::lines(packet, sent, self.version, client_id, self.payloads)
            }
        }
    }
}

/// A reason code as Paho names it for `packet` (`ReasonCode.getName()`):
/// `Success`, `Normal disconnection`, `Granted QoS 0`, `Not authorized` ...
pub fn paho_reason_name(code: ReasonCode, packet: PacketType) -> &'static str {
    python::reason_name(code, packet)
}

/// The payload as the lines show it: `...`, or `b'...'` when asked for.
fn payload_text(payload: &[u8], show: bool) -> String {
    if show {
        python::bytes_repr(payload)
    } else {
        "...".to_string()
    }
}

#[cfg(test)]
mod tests;
