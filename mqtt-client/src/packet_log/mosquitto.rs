//! libmosquitto's packet lines (`log__printf` in `lib/send_*.c` and
//! `lib/handle_*.c`), as `mosquitto_pub -d` and `mosquitto_sub -d` print
//! them.

use super::payload_text;
use mqtt_proto::{Packet, ProtocolVersion, Publish};

/// The lines libmosquitto logs for `packet`: one, or one per topic filter
/// of a SUBSCRIBE or UNSUBSCRIBE.
pub(super) fn lines(
    packet: &Packet,
    sent: bool,
    version: ProtocolVersion,
    id: &str,
    payloads: bool,
) -> Vec<String> {
    let dir = if sent { "sending" } else { "received" };
    let one = |s: String| vec![s];
    match packet {
        Packet::Connect(_) => one(format!("Client {id} {dir} CONNECT")),
        Packet::ConnAck(c) => {
            let rc = if version.is_v5() {
                c.reason.as_u8()
            } else {
                c.reason.to_v3_connack().unwrap_or(c.reason.as_u8())
            };
            one(format!("Client {id} {dir} CONNACK ({rc})"))
        }
        Packet::Publish(p) => one(publish(p, id, dir, payloads)),
        Packet::PubAck(a) if sent => one(format!(
            "Client {id} sending PUBACK (m{}, rc{})",
            a.packet_id,
            a.reason.as_u8()
        )),
        Packet::PubRec(a) if sent => one(format!(
            "Client {id} sending PUBREC (m{}, rc{})",
            a.packet_id,
            a.reason.as_u8()
        )),
        Packet::PubRel(a) if sent => one(format!("Client {id} sending PUBREL (m{})", a.packet_id)),
        Packet::PubComp(a) if sent => {
            one(format!("Client {id} sending PUBCOMP (m{})", a.packet_id))
        }
        Packet::PubAck(a) => one(format!(
            "Client {id} received PUBACK (Mid: {}, RC:{})",
            a.packet_id,
            a.reason.as_u8()
        )),
        Packet::PubComp(a) => one(format!(
            "Client {id} received PUBCOMP (Mid: {}, RC:{})",
            a.packet_id,
            a.reason.as_u8()
        )),
        Packet::PubRec(a) => one(format!("Client {id} received PUBREC (Mid: {})", a.packet_id)),
        Packet::PubRel(a) => one(format!("Client {id} received PUBREL (Mid: {})", a.packet_id)),
        Packet::Subscribe(s) => s
            .subscriptions
            .iter()
            .map(|sub| {
                let o = sub.options;
                let options = (u8::from(o.no_local) << 2)
                    | (u8::from(o.retain_as_published) << 3)
                    | ((o.retain_handling as u8) << 4);
                format!(
                    "Client {id} {dir} SUBSCRIBE (Mid: {}, Topic: {}, QoS: {}, Options: 0x{options:02x})",
                    s.packet_id,
                    sub.filter.as_str(),
                    o.qos as u8
                )
            })
            .collect(),
        Packet::SubAck(_) => one(format!("Client {id} {dir} SUBACK")),
        Packet::Unsubscribe(u) => u
            .filters
            .iter()
            .map(|f| {
                format!(
                    "Client {id} {dir} UNSUBSCRIBE (Mid: {}, Topic: {})",
                    u.packet_id,
                    f.as_str()
                )
            })
            .collect(),
        Packet::UnsubAck(_) => one(format!("Client {id} {dir} UNSUBACK")),
        Packet::PingReq => one(format!("Client {id} {dir} PINGREQ")),
        Packet::PingResp => one(format!("Client {id} {dir} PINGRESP")),
        // libmosquitto names no client in this one line.
        Packet::Disconnect(d) if !sent => one(format!("Received DISCONNECT ({})", d.reason.as_u8())),
        Packet::Disconnect(_) => one(format!("Client {id} sending DISCONNECT")),
        Packet::Auth(_) => one(format!("Client {id} {dir} AUTH")),
    }
}

fn publish(p: &Publish, id: &str, dir: &str, payloads: bool) -> String {
    format!(
        "Client {id} {dir} PUBLISH (d{}, q{}, r{}, m{}, '{}', {} ({} bytes))",
        u8::from(p.dup),
        p.qos() as u8,
        u8::from(p.retain),
        p.packet_id().map_or(0, |id| id.get()),
        p.topic.as_ref().map_or("", |t| t.as_str()),
        payload_text(&p.payload, payloads),
        p.payload.len()
    )
}
