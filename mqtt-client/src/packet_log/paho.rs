//! Paho Python 2.x's packet lines (`_easy_log` in `client.py`).

use super::payload_text;
use super::python::{bytes_repr, reason_name, Props};
use mqtt_proto::{Packet, PacketType, ProtocolVersion, Publish, RetainHandling};

/// The line Paho logs for `packet`.
pub(super) fn line(
    packet: &Packet,
    sent: bool,
    version: ProtocolVersion,
    payloads: bool,
) -> String {
    let v5 = version.is_v5();
    let dir = if sent { "Sending" } else { "Received" };
    match packet {
        Packet::Connect(c) => {
            let will = c.will.as_ref();
            let mut line = format!(
                "{dir} CONNECT (u{}, p{}, wr{}, wq{}, wf{}, c{}, k{}) client_id={}",
                u8::from(c.username.is_some()),
                u8::from(c.password.is_some()),
                u8::from(will.is_some_and(|w| w.retain)),
                will.map_or(0, |w| w.qos as u8),
                u8::from(will.is_some()),
                u8::from(c.clean_start),
                c.keep_alive,
                bytes_repr(c.client_id.as_bytes()),
            );
            if c.protocol.is_v5() {
                line += &format!(" properties={}", Props::connect(&c.properties).render(true));
            }
            line
        }
        Packet::ConnAck(c) => {
            let flags = u8::from(c.session_present);
            if v5 {
                format!(
                    "{dir} CONNACK ({flags}, {}) properties={}",
                    reason_name(c.reason, PacketType::ConnAck),
                    Props::connack(&c.properties).render(false)
                )
            } else {
                let rc = c.reason.to_v3_connack().unwrap_or(c.reason.as_u8());
                format!("{dir} CONNACK ({flags}, {rc})")
            }
        }
        Packet::Publish(p) => publish(p, sent, v5, payloads),
        Packet::PubAck(a) => format!("{dir} PUBACK (Mid: {})", a.packet_id),
        Packet::PubRec(a) => format!("{dir} PUBREC (Mid: {})", a.packet_id),
        Packet::PubRel(a) => format!("{dir} PUBREL (Mid: {})", a.packet_id),
        Packet::PubComp(a) => format!("{dir} PUBCOMP (Mid: {})", a.packet_id),
        Packet::Subscribe(s) => {
            let topics: Vec<String> = s
                .subscriptions
                .iter()
                .map(|sub| {
                    let filter = bytes_repr(sub.filter.as_bytes());
                    let o = sub.options;
                    if v5 {
                        format!(
                            "({filter}, {{QoS={}, noLocal={}, retainAsPublished={}, retainHandling={}}})",
                            o.qos as u8,
                            py_bool(o.no_local),
                            py_bool(o.retain_as_published),
                            retain_handling(o.retain_handling)
                        )
                    } else {
                        format!("({filter}, {})", o.qos as u8)
                    }
                })
                .collect();
            format!(
                "{dir} SUBSCRIBE (d0, m{}) [{}]",
                s.packet_id,
                topics.join(", ")
            )
        }
        // Paho logs no more of a SUBACK; on_subscribe gets the rest.
        Packet::SubAck(_) => format!("{dir} SUBACK"),
        Packet::Unsubscribe(u) => {
            let topics: Vec<String> = u.filters.iter().map(|f| bytes_repr(f.as_bytes())).collect();
            if v5 {
                format!(
                    "{dir} UNSUBSCRIBE (d0, m{}) {} [{}]",
                    u.packet_id,
                    Props::unsubscribe(&u.properties).render(true),
                    topics.join(", ")
                )
            } else {
                format!(
                    "{dir} UNSUBSCRIBE (d0, m{}) [{}]",
                    u.packet_id,
                    topics.join(", ")
                )
            }
        }
        Packet::UnsubAck(u) => format!("{dir} UNSUBACK (Mid: {})", u.packet_id),
        Packet::PingReq => format!("{dir} PINGREQ"),
        Packet::PingResp => format!("{dir} PINGRESP"),
        Packet::Disconnect(d) => {
            if !v5 {
                return format!("{dir} DISCONNECT");
            }
            let props = Props::disconnect(&d.properties);
            if sent {
                // Paho's `disconnect()` with no arguments logs
                // `reasonCode=None properties=None`: what that call sends.
                if d.reason.as_u8() == 0 && props.is_empty() {
                    return format!("{dir} DISCONNECT reasonCode=None properties=None");
                }
                format!(
                    "{dir} DISCONNECT reasonCode={} properties={}",
                    reason_name(d.reason, PacketType::Disconnect),
                    props.render(true)
                )
            } else {
                format!(
                    "{dir} DISCONNECT {} {}",
                    reason_name(d.reason, PacketType::Disconnect),
                    props.render(false)
                )
            }
        }
        Packet::Auth(a) => format!(
            "{dir} AUTH reasonCode={} properties={}",
            reason_name(a.reason, PacketType::Auth),
            Props::auth(&a.properties).render(sent)
        ),
    }
}

fn publish(p: &Publish, sent: bool, v5: bool, payloads: bool) -> String {
    let head = format!(
        "(d{}, q{}, r{}, m{})",
        u8::from(p.dup),
        p.qos() as u8,
        u8::from(p.retain),
        p.packet_id().map_or(0, |id| id.get())
    );
    let topic = p.topic.as_ref().map_or(&[][..], |t| t.as_bytes());
    let payload = payload_text(&p.payload, payloads);
    let len = p.payload.len();
    if sent {
        // Paho formats the topic's bytes with %s inside quotes: 'b'a/b''.
        let topic = bytes_repr(topic);
        let props = if v5 {
            format!(
                ", properties={}",
                Props::publish(&p.properties).render(true)
            )
        } else {
            String::new()
        };
        if len == 0 {
            format!("Sending PUBLISH {head}, '{topic}'{props} (NULL payload)")
        } else {
            format!("Sending PUBLISH {head}, '{topic}'{props}, {payload} ({len} bytes)")
        }
    } else {
        let topic = String::from_utf8_lossy(topic);
        let props = if v5 {
            format!(
                ", properties={}",
                Props::publish(&p.properties).render(false)
            )
        } else {
            String::new()
        };
        // Two spaces before the size: Paho's wording.
        format!("Received PUBLISH {head}, '{topic}'{props}, {payload}  ({len} bytes)")
    }
}

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

fn retain_handling(r: RetainHandling) -> u8 {
    r as u8
}
