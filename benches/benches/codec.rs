//! Codec throughput, per packet: our `Decoder`/`Encoder` against rumqttc's
//! mqttbytes codecs (v4 for 3.1.1, v5 for 5.0), mqttrs (3.1.1 only) and a
//! plain copy of the same bytes as the floor.
//!
//! Every workload is a stream of packets encoded back to back; all libraries
//! decode the same bytes and encode packets that produce the same bytes (both
//! checked before measuring). Results are reported per packet
//! (`Throughput::Elements`).
//!
//! Both directions do what a caller does, the same for every library:
//!
//! - Decoding: each iteration starts from a fresh `BytesMut` copy of the
//!   stream, built outside the timed part for every library alike; the timed
//!   part decodes packet after packet with the library's one-packet function
//!   until the stream is empty and reads, from each packet, what an
//!   application uses ([`Seen`]): its type; for a PUBLISH the topic as a
//!   `&str` (through `str::from_utf8` where the library hands out bytes:
//!   rumqttc 5.0), the payload's length and its first and last byte, QoS,
//!   packet identifier, retain and dup, and in 5.0 the properties the
//!   workload carries (message expiry, topic alias, content type and user
//!   properties as `&str`); for an acknowledgement its identifier and, in
//!   5.0, its reason code. What was read is summed into one number the loop
//!   returns, which must come out the same for every library (checked before
//!   measuring). The packet is dropped before the next. The emptied buffer
//!   is returned, so the stream's allocation is freed outside the timed part
//!   for every library alike.
//! - Encoding: each packet is built inside the timed loop from the
//!   application's data ([`Outgoing`]: the topic as a `&str`, the payload as
//!   `Bytes`, QoS, packet identifier, 5.0 properties as plain values) with
//!   the library's constructors, then written into one reused, cleared
//!   buffer (mqttrs: a slice, which is its API).
//!
//! Our decoder runs twice: `ours` is `Decoder::decode`, whose packets own
//! their topic and payload as `Bytes` views (as rumqttc's do); `ours in
//! place` is `Decoder::decode_view`, whose PUBLISH borrows them from the
//! input (as mqttrs's packets do).
//!
//! A floor for decoding, `bytes view`: cutting each frame off the buffer as
//! one `Bytes` and dropping it, reading nothing, which is the least any
//! decoder pays that hands out `Bytes` views (one reference-count increment
//! and one decrement per packet); a decoder returning borrowed slices
//! (mqttrs) does not pay it.
//!
//! Each library's decode and encode loop is its own `inline(never)` function:
//! written inline in criterion's closure, our acknowledgement loop once
//! measured 6.7 ns per packet against 9.6 ns for the same code called as a
//! function, which is what a user's code does. It also gives every loop a
//! symbol of its own, whose instructions callgrind counts
//! (`benches/codec-instructions`).
//!
//! Run: `cargo bench -p mqtt-benches --bench codec -- --warm-up-time 1 --measurement-time 3`
//!
//! Paired mode: `CODEC_PAIRED=200 cargo bench -p mqtt-benches --bench codec [-- FILTER]`
//! runs the same loops without criterion, the libraries taking turns batch
//! by batch in a new order every round, and prints each one's median and
//! lowest time per packet, and the median of its per-round ratio to ours
//! (and, decoding, to ours in place) with the 10th and 90th percentiles of
//! that ratio. On a shared machine whose load drifts, criterion measures
//! each library seconds or minutes apart and the drift lands on whichever
//! ran at the time; taking turns spreads it over all of them, so the ratios
//! hold where the absolute figures do not.

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, BatchSize, BenchmarkId, Criterion, Throughput};
use mqtt_benches::{median, ratio, turn_times};
use mqtt_proto::{
    Ack, Decoder, Delivery, Encoder, MqttString, Packet, PacketId, PacketView, ProtocolVersion,
    Publish, PublishProperties, TopicName,
};
use std::hint::black_box;
use std::num::NonZeroU16;

use rumqttc::mqttbytes::v4 as rv4;
use rumqttc::v5::mqttbytes::v5 as rv5;

/// A 16-byte topic name.
const TOPIC: &str = "sensors/room/042";

/// Upper bound on the bytes of fresh input streams built per timed batch: keeps
/// the inputs of one batch within the L2 cache, as freshly received data is,
/// and bounds memory for the large payloads.
const BATCH_BYTES: usize = 512 * 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
    V311,
    V5,
}

impl Version {
    fn ours(self) -> ProtocolVersion {
        match self {
            Version::V311 => ProtocolVersion::V3_1_1,
            Version::V5 => ProtocolVersion::V5,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Version::V311 => "3.1.1",
            Version::V5 => "5.0",
        }
    }
}

/// What the packets of a workload are.
#[derive(Clone, Copy)]
enum Kind {
    /// PUBLISH to [`TOPIC`]; QoS 0 or 1; with the 5.0 property set of (e) or none.
    Publish {
        qos1: bool,
        payload: usize,
        properties: bool,
    },
    /// PUBACK, PUBREC, PUBREL, PUBCOMP in turn, success, no properties.
    Acks,
}

struct Workload {
    name: &'static str,
    version: Version,
    kind: Kind,
    count: usize,
}

/// Packet identifiers 1, 2, ... wrapping before 65,536.
fn pid(i: usize) -> u16 {
    (i % 65_535) as u16 + 1
}

fn payload_bytes(len: usize) -> Bytes {
    (0..len)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

const CONTENT_TYPE: &str = "application/json";
const USER_PROPERTIES: [(&str, &str); 2] =
    [("origin", "bench-host-01"), ("trace", "0af7651916cd43dd")];
const EXPIRY: u32 = 3_600;
const ALIAS: u16 = 7;

/// Packet type numbers, as on the wire, for [`Seen`].
const PUBLISH: u8 = 3;
const PUBACK: u8 = 4;
const PUBREC: u8 = 5;
const PUBREL: u8 = 6;
const PUBCOMP: u8 = 7;

/// What an application reads of the packets it decodes, summed: every
/// library's decode loop reads the same fields of each packet through its
/// own API and adds them here, so none of them can be left undecoded or
/// optimized away, and the sum, returned from the loop, must be the same
/// for every library.
///
/// A string is read as a `&str` (its length and first byte are added), a
/// payload by its length and its first and last byte.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
struct Seen(u64);

impl Seen {
    #[inline(always)]
    fn add(&mut self, value: u64) {
        self.0 = self.0.wrapping_add(value);
    }

    #[inline(always)]
    fn string(&mut self, s: &str) {
        self.add(s.len() as u64 + s.as_bytes().first().map_or(0, |&b| u64::from(b)));
    }

    #[inline(always)]
    fn publish(
        &mut self,
        topic: &str,
        payload: &[u8],
        qos: u8,
        packet_id: u16,
        retain: bool,
        dup: bool,
    ) {
        self.add(u64::from(PUBLISH));
        self.string(topic);
        self.add(payload.len() as u64);
        self.add(payload.first().map_or(0, |&b| u64::from(b)));
        self.add(payload.last().map_or(0, |&b| u64::from(b)));
        self.add(u64::from(qos) + u64::from(packet_id) + u64::from(retain) + u64::from(dup));
    }

    /// The 5.0 PUBLISH properties of workload (e).
    #[inline(always)]
    fn publish_properties<'s>(
        &mut self,
        message_expiry: Option<u32>,
        topic_alias: Option<u16>,
        content_type: Option<&str>,
        user_properties: impl Iterator<Item = (&'s str, &'s str)>,
    ) {
        self.add(message_expiry.map_or(0, u64::from));
        self.add(topic_alias.map_or(0, u64::from));
        if let Some(content_type) = content_type {
            self.string(content_type);
        }
        for (key, value) in user_properties {
            self.string(key);
            self.string(value);
        }
    }

    /// An acknowledgement; `reason` is 0 in 3.1.1, which has none.
    #[inline(always)]
    fn ack(&mut self, packet_type: u8, packet_id: u16, reason: u8) {
        self.add(u64::from(packet_type) + u64::from(packet_id) + u64::from(reason));
    }

    /// Any other packet (none in these workloads).
    #[inline(always)]
    fn other(&mut self) {
        self.add(1 << 32);
    }

    /// A PUBLISH of ours, owned or in place: the same reads.
    #[inline(always)]
    fn ours_publish<const V5: bool>(
        &mut self,
        topic: &str,
        payload: &[u8],
        delivery: Delivery,
        retain: bool,
        dup: bool,
        properties: Option<&PublishProperties>,
    ) {
        let packet_id = delivery.packet_id().map_or(0, PacketId::get);
        self.publish(topic, payload, delivery.qos() as u8, packet_id, retain, dup);
        if V5 {
            if let Some(props) = properties {
                self.publish_properties(
                    props.message_expiry_interval,
                    props.topic_alias.map(NonZeroU16::get),
                    props.content_type.as_ref().map(MqttString::as_str),
                    props
                        .user_properties
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str())),
                );
            }
        }
    }

    /// A packet of ours other than a PUBLISH read in place.
    #[inline(always)]
    fn ours_packet<const V5: bool>(&mut self, packet: &Packet) {
        let reason = |a: &Ack| if V5 { a.reason.as_u8() } else { 0 };
        match packet {
            Packet::Publish(p) => self.ours_publish::<V5>(
                p.topic.as_ref().map_or("", TopicName::as_str),
                &p.payload,
                p.delivery,
                p.retain,
                p.dup,
                p.properties.allocated(),
            ),
            Packet::PubAck(a) => self.ack(PUBACK, a.packet_id.get(), reason(a)),
            Packet::PubRec(a) => self.ack(PUBREC, a.packet_id.get(), reason(a)),
            Packet::PubRel(a) => self.ack(PUBREL, a.packet_id.get(), reason(a)),
            Packet::PubComp(a) => self.ack(PUBCOMP, a.packet_id.get(), reason(a)),
            _ => self.other(),
        }
    }
}

/// One message as the application hands it to the encoder: plain values,
/// from which every library builds its own packet inside the timed loop.
#[derive(Clone)]
enum Outgoing {
    Publish {
        topic: String,
        payload: Bytes,
        /// QoS 1 with this identifier, or QoS 0.
        packet_id: Option<u16>,
        properties: Option<AppProperties>,
    },
    /// PUBACK, PUBREC, PUBREL or PUBCOMP (the packet type number).
    Ack { packet_type: u8, packet_id: u16 },
}

/// The 5.0 properties of workload (e), as the application has them.
#[derive(Clone)]
struct AppProperties {
    message_expiry: u32,
    topic_alias: u16,
    content_type: String,
    user_properties: Vec<(String, String)>,
}

fn outgoing(w: &Workload, payload: &Bytes) -> Vec<Outgoing> {
    (0..w.count)
        .map(|i| match w.kind {
            Kind::Publish {
                qos1, properties, ..
            } => Outgoing::Publish {
                topic: TOPIC.to_owned(),
                payload: payload.clone(),
                packet_id: qos1.then(|| pid(i)),
                properties: properties.then(|| AppProperties {
                    message_expiry: EXPIRY,
                    topic_alias: ALIAS,
                    content_type: CONTENT_TYPE.to_owned(),
                    user_properties: USER_PROPERTIES
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect(),
                }),
            },
            Kind::Acks => Outgoing::Ack {
                packet_type: [PUBACK, PUBREC, PUBREL, PUBCOMP][i % 4],
                packet_id: pid(i),
            },
        })
        .collect()
}

// Each library's decode loop is compiled on its own (`inline(never)`), not
// specialized into criterion's closure, so no library gains or loses by how
// its loop happens to inline into the harness.

fn ours_version<const V5: bool>() -> ProtocolVersion {
    if V5 {
        ProtocolVersion::V5
    } else {
        ProtocolVersion::V3_1_1
    }
}

/// Decodes the whole stream with our decoder, returning the emptied buffer
/// and what was read.
#[inline(never)]
fn decode_ours<const V5: bool>(mut buf: BytesMut) -> (BytesMut, Seen) {
    let mut decoder = Decoder::new(ours_version::<V5>());
    let mut seen = Seen::default();
    while let Some(packet) = decoder.decode(&mut buf).unwrap() {
        seen.ours_packet::<V5>(&packet);
    }
    (buf, seen)
}

/// Decodes the whole stream in place with our decoder (`decode_view`: a
/// PUBLISH borrows the input, like mqttrs's packets).
#[inline(never)]
fn decode_ours_in_place<const V5: bool>(buf: BytesMut) -> (BytesMut, Seen) {
    let mut decoder = Decoder::new(ours_version::<V5>());
    let mut seen = Seen::default();
    let mut rest: &[u8] = &buf;
    while let Some((packet, used)) = decoder.decode_view(rest).unwrap() {
        match &packet {
            PacketView::Publish(p) => seen.ours_publish::<V5>(
                p.topic_str(),
                p.payload,
                p.delivery,
                p.retain,
                p.dup,
                p.properties.allocated(),
            ),
            PacketView::Packet(p) => seen.ours_packet::<V5>(p),
        }
        rest = &rest[used..];
    }
    (buf, seen)
}

#[inline(never)]
fn decode_rumqttc_v4(mut buf: BytesMut) -> (BytesMut, Seen) {
    let mut seen = Seen::default();
    while !buf.is_empty() {
        match rv4::Packet::read(&mut buf, 1 << 28).unwrap() {
            rv4::Packet::Publish(p) => seen.publish(
                // A `String`: checked UTF-8 by the decoder.
                &p.topic,
                &p.payload,
                p.qos as u8,
                p.pkid,
                p.retain,
                p.dup,
            ),
            rv4::Packet::PubAck(a) => seen.ack(PUBACK, a.pkid, 0),
            rv4::Packet::PubRec(a) => seen.ack(PUBREC, a.pkid, 0),
            rv4::Packet::PubRel(a) => seen.ack(PUBREL, a.pkid, 0),
            rv4::Packet::PubComp(a) => seen.ack(PUBCOMP, a.pkid, 0),
            _ => seen.other(),
        }
    }
    (buf, seen)
}

#[inline(never)]
fn decode_rumqttc_v5(mut buf: BytesMut) -> (BytesMut, Seen) {
    let mut seen = Seen::default();
    while !buf.is_empty() {
        match rv5::Packet::read(&mut buf, None).unwrap() {
            rv5::Packet::Publish(p) => {
                seen.publish(
                    // `Bytes`, unchecked by the decoder: the caller checks.
                    std::str::from_utf8(&p.topic).expect("topic is not UTF-8"),
                    &p.payload,
                    p.qos as u8,
                    p.pkid,
                    p.retain,
                    p.dup,
                );
                if let Some(props) = &p.properties {
                    seen.publish_properties(
                        props.message_expiry_interval,
                        props.topic_alias,
                        props.content_type.as_deref(),
                        props
                            .user_properties
                            .iter()
                            .map(|(k, v)| (k.as_str(), v.as_str())),
                    );
                }
            }
            rv5::Packet::PubAck(a) => seen.ack(PUBACK, a.pkid, a.reason as u8),
            rv5::Packet::PubRec(a) => seen.ack(PUBREC, a.pkid, a.reason as u8),
            rv5::Packet::PubRel(a) => seen.ack(PUBREL, a.pkid, a.reason as u8),
            rv5::Packet::PubComp(a) => seen.ack(PUBCOMP, a.pkid, a.reason as u8),
            _ => seen.other(),
        }
    }
    (buf, seen)
}

/// One `Bytes` per frame, cut off and dropped, nothing read: the floor of a
/// decoder that hands out views.
#[inline(never)]
fn split_frames(mut buf: BytesMut, sizes: &[usize]) -> (BytesMut, Seen) {
    for &size in sizes {
        black_box(&buf.split_to(size).freeze());
    }
    (buf, Seen::default())
}

/// mqttrs decodes from a slice without consuming it and does not report the
/// packet's size, so it is handed each frame's size (known from the stream).
#[inline(never)]
fn decode_mqttrs(buf: BytesMut, sizes: &[usize]) -> (BytesMut, Seen) {
    let mut seen = Seen::default();
    let mut rest: &[u8] = &buf;
    for &size in sizes {
        match mqttrs::decode_slice(rest).unwrap().unwrap() {
            mqttrs::Packet::Publish(p) => {
                let (qos, packet_id) = match p.qospid {
                    mqttrs::QosPid::AtMostOnce => (0, 0),
                    mqttrs::QosPid::AtLeastOnce(id) => (1, id.get()),
                    mqttrs::QosPid::ExactlyOnce(id) => (2, id.get()),
                };
                // A `&str`: checked UTF-8 by the decoder.
                seen.publish(p.topic_name, p.payload, qos, packet_id, p.retain, p.dup);
            }
            mqttrs::Packet::Puback(id) => seen.ack(PUBACK, id.get(), 0),
            mqttrs::Packet::Pubrec(id) => seen.ack(PUBREC, id.get(), 0),
            mqttrs::Packet::Pubrel(id) => seen.ack(PUBREL, id.get(), 0),
            mqttrs::Packet::Pubcomp(id) => seen.ack(PUBCOMP, id.get(), 0),
            _ => seen.other(),
        }
        rest = &rest[size..];
    }
    (buf, seen)
}

/// Builds each message's packet with our types and encodes it into `out`.
#[inline(never)]
fn encode_ours(encoder: &Encoder, messages: &[Outgoing], out: &mut BytesMut) {
    for m in messages {
        match m {
            Outgoing::Publish {
                topic,
                payload,
                packet_id,
                properties,
            } => {
                let mut p = Publish::new(TopicName::new(topic.as_str()).unwrap(), payload.clone());
                if let Some(id) = packet_id {
                    p.delivery = Delivery::AtLeastOnce(PacketId::new(*id).unwrap());
                }
                if let Some(a) = properties {
                    p.properties = PublishProperties {
                        message_expiry_interval: Some(a.message_expiry),
                        topic_alias: NonZeroU16::new(a.topic_alias),
                        content_type: Some(MqttString::new(a.content_type.as_str()).unwrap()),
                        user_properties: a
                            .user_properties
                            .iter()
                            .map(|(k, v)| {
                                (
                                    MqttString::new(k.as_str()).unwrap(),
                                    MqttString::new(v.as_str()).unwrap(),
                                )
                            })
                            .collect(),
                        ..PublishProperties::default()
                    }
                    .into();
                }
                encoder.encode(&p, out).unwrap();
            }
            Outgoing::Ack {
                packet_type,
                packet_id,
            } => {
                let ack = Ack::new(PacketId::new(*packet_id).unwrap());
                let packet = match *packet_type {
                    PUBACK => Packet::PubAck(ack),
                    PUBREC => Packet::PubRec(ack),
                    PUBREL => Packet::PubRel(ack),
                    _ => Packet::PubComp(ack),
                };
                encoder.encode(&packet, out).unwrap();
            }
        }
    }
}

#[inline(never)]
fn encode_rumqttc_v4(messages: &[Outgoing], out: &mut BytesMut) {
    for m in messages {
        let packet = match m {
            Outgoing::Publish {
                topic,
                payload,
                packet_id,
                ..
            } => {
                let qos = if packet_id.is_some() {
                    rumqttc::mqttbytes::QoS::AtLeastOnce
                } else {
                    rumqttc::mqttbytes::QoS::AtMostOnce
                };
                let mut p = rv4::Publish::from_bytes(topic.as_str(), qos, payload.clone());
                p.pkid = packet_id.unwrap_or(0);
                rv4::Packet::Publish(p)
            }
            Outgoing::Ack {
                packet_type,
                packet_id,
            } => match *packet_type {
                PUBACK => rv4::Packet::PubAck(rv4::PubAck::new(*packet_id)),
                PUBREC => rv4::Packet::PubRec(rv4::PubRec::new(*packet_id)),
                PUBREL => rv4::Packet::PubRel(rv4::PubRel::new(*packet_id)),
                _ => rv4::Packet::PubComp(rv4::PubComp::new(*packet_id)),
            },
        };
        packet.write(out, 1 << 28).unwrap();
    }
}

#[inline(never)]
fn encode_rumqttc_v5(messages: &[Outgoing], out: &mut BytesMut) {
    for m in messages {
        let packet = match m {
            Outgoing::Publish {
                topic,
                payload,
                packet_id,
                properties,
            } => {
                let qos = if packet_id.is_some() {
                    rumqttc::v5::mqttbytes::QoS::AtLeastOnce
                } else {
                    rumqttc::v5::mqttbytes::QoS::AtMostOnce
                };
                let props = properties.as_ref().map(|a| rv5::PublishProperties {
                    message_expiry_interval: Some(a.message_expiry),
                    topic_alias: Some(a.topic_alias),
                    content_type: Some(a.content_type.as_str().to_owned()),
                    user_properties: a
                        .user_properties
                        .iter()
                        .map(|(k, v)| (k.as_str().to_owned(), v.as_str().to_owned()))
                        .collect(),
                    ..rv5::PublishProperties::default()
                });
                let mut p = rv5::Publish::new(topic.as_str(), qos, payload.clone(), props);
                p.pkid = packet_id.unwrap_or(0);
                rv5::Packet::Publish(p)
            }
            Outgoing::Ack {
                packet_type,
                packet_id,
            } => match *packet_type {
                PUBACK => rv5::Packet::PubAck(rv5::PubAck::new(*packet_id, None)),
                PUBREC => rv5::Packet::PubRec(rv5::PubRec::new(*packet_id, None)),
                PUBREL => rv5::Packet::PubRel(rv5::PubRel::new(*packet_id, None)),
                _ => rv5::Packet::PubComp(rv5::PubComp::new(*packet_id, None)),
            },
        };
        packet.write(out, None).unwrap();
    }
}

/// mqttrs encodes into a slice, which must be large enough; its packets
/// borrow the topic and payload.
#[inline(never)]
fn encode_mqttrs(messages: &[Outgoing], out: &mut [u8]) {
    let mut pos = 0;
    for m in messages {
        let packet = match m {
            Outgoing::Publish {
                topic,
                payload,
                packet_id,
                ..
            } => mqttrs::Packet::Publish(mqttrs::Publish {
                dup: false,
                qospid: match packet_id {
                    Some(id) => mqttrs::QosPid::AtLeastOnce(mqttrs::Pid::try_from(*id).unwrap()),
                    None => mqttrs::QosPid::AtMostOnce,
                },
                retain: false,
                topic_name: topic,
                payload,
            }),
            Outgoing::Ack {
                packet_type,
                packet_id,
            } => {
                let id = mqttrs::Pid::try_from(*packet_id).unwrap();
                match *packet_type {
                    PUBACK => mqttrs::Packet::Puback(id),
                    PUBREC => mqttrs::Packet::Pubrec(id),
                    PUBREL => mqttrs::Packet::Pubrel(id),
                    _ => mqttrs::Packet::Pubcomp(id),
                }
            }
        };
        pos += mqttrs::encode_slice(&packet, &mut out[pos..]).unwrap();
    }
}

/// One decode loop: takes a fresh stream, returns the emptied buffer and
/// what was read.
type DecodeLoop<'a> = Box<dyn Fn(BytesMut) -> (BytesMut, Seen) + 'a>;

/// One workload's input, the application's messages, and every library's
/// decode loop, checked to agree.
struct Prepared<'a> {
    v5: bool,
    encoder: Encoder,
    /// The packets encoded back to back.
    stream: Bytes,
    /// The messages the stream encodes, as the application has them.
    messages: Vec<Outgoing>,
    /// Each library's decode loop, ours first.
    decoders: Vec<(&'static str, DecodeLoop<'a>)>,
}

/// Builds the workload's stream and messages, and checks that every
/// library encodes the messages to exactly that stream and reads the same
/// from it.
fn prepare<'a>(w: &Workload, sizes: &'a mut Vec<usize>) -> Prepared<'a> {
    let payload_len = match w.kind {
        Kind::Publish { payload, .. } => payload,
        Kind::Acks => 0,
    };
    let version = w.version.ours();
    let v5 = w.version == Version::V5;
    let encoder = Encoder::new(version);
    let messages = outgoing(w, &payload_bytes(payload_len));

    let mut stream = BytesMut::new();
    encode_ours(&encoder, &messages, &mut stream);
    let stream: Bytes = stream.freeze();
    {
        let mut decoder = Decoder::new(version);
        let mut rest = &stream[..];
        sizes.clear();
        while let Some((_, used)) = decoder.decode_view(rest).unwrap() {
            sizes.push(used);
            rest = &rest[used..];
        }
        assert_eq!(sizes.len(), w.count);
    }
    let sizes: &'a [usize] = sizes;

    // The peers must produce exactly these bytes.
    let mut check = BytesMut::new();
    if v5 {
        encode_rumqttc_v5(&messages, &mut check);
        assert_eq!(check, stream, "{}: rumqttc v5 bytes differ", w.name);
    } else {
        encode_rumqttc_v4(&messages, &mut check);
        assert_eq!(check, stream, "{}: rumqttc v4 bytes differ", w.name);
        let mut out = vec![0u8; stream.len()];
        encode_mqttrs(&messages, &mut out);
        assert_eq!(out, stream, "{}: mqttrs bytes differ", w.name);
    }

    let mut decoders: Vec<(&'static str, DecodeLoop)> = if v5 {
        vec![
            ("ours", Box::new(decode_ours::<true>)),
            ("ours in place", Box::new(decode_ours_in_place::<true>)),
        ]
    } else {
        vec![
            ("ours", Box::new(decode_ours::<false>)),
            ("ours in place", Box::new(decode_ours_in_place::<false>)),
        ]
    };
    if v5 {
        decoders.push(("rumqttc", Box::new(decode_rumqttc_v5)));
    } else {
        decoders.push(("rumqttc", Box::new(decode_rumqttc_v4)));
        decoders.push(("mqttrs", Box::new(|b| decode_mqttrs(b, sizes))));
    }
    // Every library reads the same from the stream, and all of it.
    let (left, expected) = decoders[0].1(BytesMut::from(&stream[..]));
    assert!(left.is_empty());
    assert_ne!(expected, Seen::default());
    for (name, run) in &decoders {
        let (_, seen) = run(BytesMut::from(&stream[..]));
        assert_eq!(seen, expected, "{}: {name} reads differently", w.name);
    }
    decoders.push(("bytes view", Box::new(|b| split_frames(b, sizes))));

    Prepared {
        v5,
        encoder,
        stream,
        messages,
        decoders,
    }
}

/// Measures one workload's decode and encode with criterion.
fn bench_workload(c: &mut Criterion, w: &Workload) {
    let mut sizes = Vec::new();
    let Prepared {
        v5,
        encoder,
        stream,
        messages,
        decoders,
    } = prepare(w, &mut sizes);
    let batch = BatchSize::NumIterations((BATCH_BYTES / stream.len()).max(1) as u64);
    let fresh = || BytesMut::from(&stream[..]);
    let label = format!("{}/{}", w.name, w.version.label());

    let mut g = c.benchmark_group(format!("decode/{label}"));
    g.throughput(Throughput::Elements(w.count as u64));
    for (name, run) in &decoders {
        g.bench_function(*name, |b| b.iter_batched(fresh, run, batch));
    }
    let mut copy = Vec::with_capacity(stream.len());
    g.bench_function("memcpy", |b| {
        b.iter_batched(
            fresh,
            |buf| {
                copy.clear();
                copy.extend_from_slice(&buf);
                black_box(&copy);
                buf
            },
            batch,
        )
    });
    g.finish();

    let mut g = c.benchmark_group(format!("encode/{label}"));
    g.throughput(Throughput::Elements(w.count as u64));
    let mut out = BytesMut::with_capacity(stream.len());
    g.bench_function("ours", |b| {
        b.iter(|| {
            out.clear();
            encode_ours(&encoder, &messages, &mut out);
            black_box(&out);
        })
    });
    g.bench_function("rumqttc", |b| {
        b.iter(|| {
            out.clear();
            if v5 {
                encode_rumqttc_v5(&messages, &mut out);
            } else {
                encode_rumqttc_v4(&messages, &mut out);
            }
            black_box(&out);
        })
    });
    if !v5 {
        let mut slice = vec![0u8; stream.len()];
        g.bench_function("mqttrs", |b| {
            b.iter(|| {
                encode_mqttrs(&messages, &mut slice);
                black_box(&slice);
            })
        });
    }
    g.bench_function("memcpy", |b| {
        b.iter(|| {
            out.clear();
            out.extend_from_slice(&stream);
            black_box(&out);
        })
    });
    g.finish();
}

fn workloads() -> Vec<Workload> {
    let mut list = Vec::new();
    for version in [Version::V311, Version::V5] {
        list.push(Workload {
            name: "a_qos0_32B",
            version,
            kind: Kind::Publish {
                qos1: false,
                payload: 32,
                properties: false,
            },
            count: 1_000,
        });
        list.push(Workload {
            name: "b_qos1_1KiB",
            version,
            kind: Kind::Publish {
                qos1: true,
                payload: 1024,
                properties: false,
            },
            count: 1_000,
        });
        list.push(Workload {
            name: "c_qos1_64KiB",
            version,
            kind: Kind::Publish {
                qos1: true,
                payload: 64 * 1024,
                properties: false,
            },
            count: 32,
        });
        if version == Version::V5 {
            list.push(Workload {
                name: "e_qos1_props",
                version,
                kind: Kind::Publish {
                    qos1: true,
                    payload: 32,
                    properties: true,
                },
                count: 1_000,
            });
        }
        list.push(Workload {
            name: "f_acks",
            version,
            kind: Kind::Acks,
            count: 1_000,
        });
    }
    list
}

fn codec(c: &mut Criterion) {
    for w in workloads() {
        bench_workload(c, &w);
    }
}

/// Zero-copy check: our decode time per QoS 1 publish must not grow with the
/// payload. Same packet count for every size, so only the payload differs.
fn payload_size(c: &mut Criterion) {
    for version in [Version::V311, Version::V5] {
        let mut g = c.benchmark_group(format!("decode_payload_size/{}", version.label()));
        const COUNT: usize = 32;
        g.throughput(Throughput::Elements(COUNT as u64));
        for size in [32usize, 1024, 16 * 1024, 64 * 1024] {
            let w = Workload {
                name: "size",
                version,
                kind: Kind::Publish {
                    qos1: true,
                    payload: size,
                    properties: false,
                },
                count: COUNT,
            };
            let encoder = Encoder::new(version.ours());
            let mut stream = BytesMut::new();
            encode_ours(&encoder, &outgoing(&w, &payload_bytes(size)), &mut stream);
            let batch = BatchSize::NumIterations((BATCH_BYTES / stream.len()).max(1) as u64);
            let run = match version {
                Version::V311 => decode_ours::<false>,
                Version::V5 => decode_ours::<true>,
            };
            g.bench_with_input(BenchmarkId::new("ours", size), &stream, |b, stream| {
                b.iter_batched(|| BytesMut::from(&stream[..]), run, batch)
            });
        }
        g.finish();
    }
}

criterion_group!(benches, codec, payload_size);

fn main() {
    match std::env::var("CODEC_PAIRED") {
        Ok(rounds) => paired(rounds.parse().expect("CODEC_PAIRED: a number of rounds")),
        Err(_) => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}

/// One library's decode or encode of a workload: runs one batch and returns
/// the time per packet in nanoseconds.
type Contender<'a> = (&'static str, Box<dyn FnMut() -> f64 + 'a>);

/// The paired mode (`CODEC_PAIRED=rounds`): the libraries take turns, one
/// batch each per round, so that a change in the machine's load (this one is
/// a shared VM) falls on all of them alike instead of on whichever criterion
/// happened to be measuring. Prints, per library, the median and the lowest
/// time per packet, and the median over rounds of its ratio to ours (and to
/// ours in place) in the same round, with the 10th and 90th percentiles of
/// that ratio.
///
/// Also the driver of the instruction counts (`benches/codec-instructions`):
/// every loop is a function of its own, called once per stream decoded or
/// encoded, whose instructions callgrind counts.
fn paired(rounds: usize) {
    println!(
        "paired rounds: {rounds}; ns per packet: median (lowest); ratio to ours, \
         and to ours in place: median of per-round ratios [p10, p90]"
    );
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    for w in workloads() {
        let label = format!("{}/{}", w.name, w.version.label());
        if only.as_deref().is_some_and(|f| !label.contains(f)) {
            continue;
        }
        let mut sizes = Vec::new();
        let p = prepare(&w, &mut sizes);
        let batch = (BATCH_BYTES / p.stream.len()).max(1);
        let packets = (batch * w.count) as f64;
        println!("{label}: {} packets per stream", w.count);
        let fresh =
            || -> Vec<BytesMut> { (0..batch).map(|_| BytesMut::from(&p.stream[..])).collect() };
        let timed = |run: &DecodeLoop| -> f64 {
            let inputs = fresh();
            let mut outputs = Vec::with_capacity(batch);
            let start = std::time::Instant::now();
            for buf in inputs {
                let (left, seen) = run(buf);
                outputs.push(left);
                black_box(seen);
            }
            let ns = start.elapsed().as_nanos() as f64;
            drop(outputs);
            ns / packets
        };
        let decode: Vec<Contender> = p
            .decoders
            .iter()
            .map(|(name, run)| -> Contender { (name, Box::new(move || timed(run))) })
            .collect();
        report(&format!("decode/{label}"), rounds, decode);

        let stream_len = p.stream.len();
        let per_encode = |run| timed_encode(batch, packets, stream_len, run);
        let messages = &p.messages;
        let mut encode: Vec<Contender> = vec![(
            "ours",
            per_encode(Box::new(|out| encode_ours(&p.encoder, messages, out))),
        )];
        if p.v5 {
            encode.push((
                "rumqttc",
                per_encode(Box::new(move |out| encode_rumqttc_v5(messages, out))),
            ));
        } else {
            encode.push((
                "rumqttc",
                per_encode(Box::new(move |out| encode_rumqttc_v4(messages, out))),
            ));
            let mut slice = vec![0u8; stream_len];
            encode.push((
                "mqttrs",
                per_encode(Box::new(move |_| {
                    encode_mqttrs(messages, &mut slice);
                    black_box(&slice);
                })),
            ));
        }
        report(&format!("encode/{label}"), rounds, encode);
    }
}

/// Encodes one batch per call into a reused buffer and returns the time per
/// packet in nanoseconds.
fn timed_encode<'a>(
    batch: usize,
    packets: f64,
    capacity: usize,
    mut run: Box<dyn FnMut(&mut BytesMut) + 'a>,
) -> Box<dyn FnMut() -> f64 + 'a> {
    let mut out = BytesMut::with_capacity(capacity);
    Box::new(move || {
        let start = std::time::Instant::now();
        for _ in 0..batch {
            out.clear();
            run(&mut out);
            black_box(&out);
        }
        start.elapsed().as_nanos() as f64 / packets
    })
}

/// Runs the contenders in turn for `rounds` rounds and prints their
/// figures: the median and lowest time per packet, and the per-round
/// ratio to ours (the first contender) and, for decoding, to ours in place
/// (the second), as median [10th, 90th percentile].
fn report(group: &str, rounds: usize, mut contenders: Vec<Contender>) {
    let mut runs: Vec<&mut dyn FnMut() -> f64> = contenders
        .iter_mut()
        .map(|(_, run)| &mut **run as _)
        .collect();
    let times = turn_times(rounds, &mut runs);
    let in_place = contenders
        .iter()
        .position(|(name, _)| *name == "ours in place");
    for ((name, _), t) in contenders.iter().zip(&times) {
        let lowest = t.iter().copied().fold(f64::INFINITY, f64::min);
        let to_ours = ratio(t, &times[0]);
        let mut line = format!(
            "{group:32} {name:14} {:8.1} ({:8.1})  x{:.2} [{:.2}, {:.2}]",
            median(t),
            lowest,
            to_ours.median,
            to_ours.p10,
            to_ours.p90
        );
        if let Some(i) = in_place {
            let r = ratio(t, &times[i]);
            line += &format!("  in place: x{:.2} [{:.2}, {:.2}]", r.median, r.p10, r.p90);
        }
        println!("{line}");
    }
}
