//! Codec throughput, per packet: our `Decoder`/`Encoder` against rumqttc's
//! mqttbytes codecs (v4 for 3.1.1, v5 for 5.0), mqttrs (3.1.1 only) and a
//! plain copy of the same bytes as the floor.
//!
//! Every workload is a stream of packets encoded back to back; all libraries
//! decode the same bytes and encode packets that produce the same bytes (both
//! checked before measuring). Results are reported per packet
//! (`Throughput::Elements`).
//!
//! Decoding: each iteration starts from a fresh `BytesMut` copy of the stream,
//! built outside the timed part for every library alike; the timed part
//! decodes packet after packet with the library's one-packet function until
//! the stream is empty, shows each packet to `black_box` by reference (so no
//! library pays for copying its packet type, whatever its size) and drops it
//! before the next. The emptied buffer is returned, so the stream's allocation is freed
//! outside the timed part for every library alike.
//!
//! Our decoder runs twice: `ours` is `Decoder::decode`, whose packets own
//! their topic and payload as `Bytes` views (as rumqttc's do); `ours in
//! place` is `Decoder::decode_view`, whose PUBLISH borrows them from the
//! input (as mqttrs's packets do).
//!
//! A second floor for decoding, `bytes view`: cutting each frame off the
//! buffer as one `Bytes` and dropping it, which is the least any decoder
//! pays that hands out `Bytes` views (one reference-count increment and one
//! decrement per packet); a decoder returning borrowed slices (mqttrs) does
//! not pay it.
//!
//! Encoding: the same prebuilt packet values are written into one reused,
//! cleared buffer. As for decoding, each library's loop is its own
//! `inline(never)` function: written inline in criterion's closure, our
//! acknowledgement loop once measured 6.7 ns per packet against 9.6 ns for
//! the same code called as a function, which is what a user's code does.
//!
//! Run: `cargo bench -p mqtt-benches --bench codec -- --warm-up-time 1 --measurement-time 3`
//!
//! Paired mode: `CODEC_PAIRED=100 cargo bench -p mqtt-benches --bench codec [-- FILTER]`
//! runs the same loops without criterion, the libraries taking turns batch
//! by batch, and prints each one's median and lowest time per packet and
//! the median of its per-round ratio to ours. On a shared machine whose
//! load drifts, criterion measures each library seconds or minutes apart
//! and the drift lands on whichever ran at the time; taking turns spreads it
//! over all of them, so the ratios hold where the absolute figures do not.

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, BatchSize, BenchmarkId, Criterion, Throughput};
use mqtt_benches::take_turns;
use mqtt_proto::{
    Ack, Decoder, Delivery, Encoder, MqttString, Packet, PacketId, ProtocolVersion,
    PublishProperties, TopicName,
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

fn ours_packets(w: &Workload, payload: &Bytes) -> Vec<Packet> {
    let topic = TopicName::from_static(TOPIC).unwrap();
    (0..w.count)
        .map(|i| {
            let id = PacketId::new(pid(i)).unwrap();
            match w.kind {
                Kind::Publish {
                    qos1, properties, ..
                } => {
                    let mut p = mqtt_proto::Publish::new(topic.clone(), payload.clone());
                    if qos1 {
                        p.delivery = Delivery::AtLeastOnce(id);
                    }
                    if properties {
                        p.properties = PublishProperties {
                            message_expiry_interval: Some(EXPIRY),
                            content_type: Some(MqttString::from_static(CONTENT_TYPE).unwrap()),
                            topic_alias: NonZeroU16::new(ALIAS),
                            user_properties: USER_PROPERTIES
                                .iter()
                                .map(|(k, v)| {
                                    (
                                        MqttString::from_static(k).unwrap(),
                                        MqttString::from_static(v).unwrap(),
                                    )
                                })
                                .collect(),
                            ..PublishProperties::default()
                        }
                        .into();
                    }
                    Packet::Publish(p)
                }
                Kind::Acks => match i % 4 {
                    0 => Packet::PubAck(Ack::new(id)),
                    1 => Packet::PubRec(Ack::new(id)),
                    2 => Packet::PubRel(Ack::new(id)),
                    _ => Packet::PubComp(Ack::new(id)),
                },
            }
        })
        .collect()
}

fn rumqttc_v4_packets(w: &Workload, payload: &Bytes) -> Vec<rv4::Packet> {
    (0..w.count)
        .map(|i| match w.kind {
            Kind::Publish { qos1, .. } => {
                let qos = if qos1 {
                    rumqttc::mqttbytes::QoS::AtLeastOnce
                } else {
                    rumqttc::mqttbytes::QoS::AtMostOnce
                };
                let mut p = rv4::Publish::from_bytes(TOPIC, qos, payload.clone());
                if qos1 {
                    p.pkid = pid(i);
                }
                rv4::Packet::Publish(p)
            }
            Kind::Acks => match i % 4 {
                0 => rv4::Packet::PubAck(rv4::PubAck::new(pid(i))),
                1 => rv4::Packet::PubRec(rv4::PubRec::new(pid(i))),
                2 => rv4::Packet::PubRel(rv4::PubRel::new(pid(i))),
                _ => rv4::Packet::PubComp(rv4::PubComp::new(pid(i))),
            },
        })
        .collect()
}

fn rumqttc_v5_packets(w: &Workload, payload: &Bytes) -> Vec<rv5::Packet> {
    (0..w.count)
        .map(|i| match w.kind {
            Kind::Publish {
                qos1, properties, ..
            } => {
                let qos = if qos1 {
                    rumqttc::v5::mqttbytes::QoS::AtLeastOnce
                } else {
                    rumqttc::v5::mqttbytes::QoS::AtMostOnce
                };
                let props = properties.then(|| rv5::PublishProperties {
                    message_expiry_interval: Some(EXPIRY),
                    content_type: Some(CONTENT_TYPE.to_owned()),
                    topic_alias: Some(ALIAS),
                    user_properties: USER_PROPERTIES
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect(),
                    ..rv5::PublishProperties::default()
                });
                let mut p = rv5::Publish::new(TOPIC, qos, payload.clone(), props);
                if qos1 {
                    p.pkid = pid(i);
                }
                rv5::Packet::Publish(p)
            }
            Kind::Acks => match i % 4 {
                0 => rv5::Packet::PubAck(rv5::PubAck::new(pid(i), None)),
                1 => rv5::Packet::PubRec(rv5::PubRec::new(pid(i), None)),
                2 => rv5::Packet::PubRel(rv5::PubRel::new(pid(i), None)),
                _ => rv5::Packet::PubComp(rv5::PubComp::new(pid(i), None)),
            },
        })
        .collect()
}

fn mqttrs_packets<'a>(w: &Workload, payload: &'a [u8]) -> Vec<mqttrs::Packet<'a>> {
    (0..w.count)
        .map(|i| {
            let id = mqttrs::Pid::try_from(pid(i)).unwrap();
            match w.kind {
                Kind::Publish { qos1, .. } => mqttrs::Packet::Publish(mqttrs::Publish {
                    dup: false,
                    qospid: if qos1 {
                        mqttrs::QosPid::AtLeastOnce(id)
                    } else {
                        mqttrs::QosPid::AtMostOnce
                    },
                    retain: false,
                    topic_name: TOPIC,
                    payload,
                }),
                Kind::Acks => match i % 4 {
                    0 => mqttrs::Packet::Puback(id),
                    1 => mqttrs::Packet::Pubrec(id),
                    2 => mqttrs::Packet::Pubrel(id),
                    _ => mqttrs::Packet::Pubcomp(id),
                },
            }
        })
        .collect()
}

// Each library's decode loop is compiled on its own (`inline(never)`), not
// specialized into criterion's closure, so no library gains or loses by how
// its loop happens to inline into the harness.

/// Decodes the whole stream with our decoder, returning the emptied buffer.
#[inline(never)]
fn decode_ours(version: ProtocolVersion, mut buf: BytesMut) -> BytesMut {
    let mut decoder = Decoder::new(version);
    while let Some(packet) = decoder.decode(&mut buf).unwrap() {
        black_box(&packet);
    }
    buf
}

/// Decodes the whole stream in place with our decoder (`decode_view`: a
/// PUBLISH borrows the input, like mqttrs's packets).
#[inline(never)]
fn decode_ours_in_place(version: ProtocolVersion, buf: BytesMut) -> BytesMut {
    let mut decoder = Decoder::new(version);
    let mut rest: &[u8] = &buf;
    while let Some((packet, used)) = decoder.decode_view(rest).unwrap() {
        black_box(&packet);
        rest = &rest[used..];
    }
    buf
}

#[inline(never)]
fn decode_rumqttc_v4(mut buf: BytesMut) -> BytesMut {
    while !buf.is_empty() {
        black_box(&rv4::Packet::read(&mut buf, 1 << 28).unwrap());
    }
    buf
}

#[inline(never)]
fn decode_rumqttc_v5(mut buf: BytesMut) -> BytesMut {
    while !buf.is_empty() {
        black_box(&rv5::Packet::read(&mut buf, None).unwrap());
    }
    buf
}

/// One `Bytes` per frame, cut off and dropped: the floor of a decoder that
/// hands out views.
#[inline(never)]
fn split_frames(mut buf: BytesMut, sizes: &[usize]) -> BytesMut {
    for &size in sizes {
        black_box(&buf.split_to(size).freeze());
    }
    buf
}

/// mqttrs decodes from a slice without consuming it and does not report the
/// packet's size, so it is handed each frame's size (known from the stream).
#[inline(never)]
fn decode_mqttrs(buf: BytesMut, sizes: &[usize]) -> BytesMut {
    let mut rest: &[u8] = &buf;
    for &size in sizes {
        black_box(&mqttrs::decode_slice(rest).unwrap().unwrap());
        rest = &rest[size..];
    }
    buf
}

/// Encodes every packet with our encoder into `out`.
#[inline(never)]
fn encode_ours(encoder: &Encoder, packets: &[Packet], out: &mut BytesMut) {
    for p in packets {
        encoder.encode(p, out).unwrap();
    }
}

#[inline(never)]
fn encode_rumqttc_v4(packets: &[rv4::Packet], out: &mut BytesMut) {
    for p in packets {
        p.write(out, 1 << 28).unwrap();
    }
}

#[inline(never)]
fn encode_rumqttc_v5(packets: &[rv5::Packet], out: &mut BytesMut) {
    for p in packets {
        p.write(out, None).unwrap();
    }
}

/// mqttrs encodes into a slice, which must be large enough.
#[inline(never)]
fn encode_mqttrs(packets: &[mqttrs::Packet], out: &mut [u8]) {
    let mut pos = 0;
    for p in packets {
        pos += mqttrs::encode_slice(p, &mut out[pos..]).unwrap();
    }
}

/// One workload's input and every library's packets, checked to agree.
struct Prepared {
    version: ProtocolVersion,
    encoder: Encoder,
    /// The packets encoded back to back.
    stream: Bytes,
    /// Each packet's size in `stream`, in order.
    sizes: Vec<usize>,
    ours: Vec<Packet>,
    v4: Option<Vec<rv4::Packet>>,
    v5: Option<Vec<rv5::Packet>>,
    rs: Option<Vec<mqttrs::Packet<'static>>>,
}

/// Builds every library's packets and checks they all encode to the same
/// stream and decode back to `count` packets.
fn prepare(w: &Workload) -> Prepared {
    let payload_len = match w.kind {
        Kind::Publish { payload, .. } => payload,
        Kind::Acks => 0,
    };
    // Leaked: mqttrs's packets borrow their payload, and a workload's
    // packets live for the whole run anyway.
    let payload: &'static Bytes = Box::leak(Box::new(payload_bytes(payload_len)));
    let version = w.version.ours();
    let encoder = Encoder::new(version);

    let ours = ours_packets(w, payload);
    let mut sizes = Vec::with_capacity(w.count);
    let mut stream = BytesMut::new();
    for p in &ours {
        sizes.push(encoder.encode(p, &mut stream).unwrap());
    }
    let stream: Bytes = stream.freeze();

    let v4 = (w.version == Version::V311).then(|| rumqttc_v4_packets(w, payload));
    let v5 = (w.version == Version::V5).then(|| rumqttc_v5_packets(w, payload));
    let rs = (w.version == Version::V311).then(|| mqttrs_packets(w, payload));

    // The peers must produce and accept exactly these bytes.
    let mut check = BytesMut::new();
    if let Some(v4) = &v4 {
        for p in v4 {
            p.write(&mut check, 1 << 28).unwrap();
        }
        assert_eq!(check, stream, "{}: rumqttc v4 bytes differ", w.name);
        let left = decode_rumqttc_v4(BytesMut::from(&stream[..]));
        assert!(left.is_empty());
    }
    if let Some(v5) = &v5 {
        check.clear();
        for p in v5 {
            p.write(&mut check, None).unwrap();
        }
        assert_eq!(check, stream, "{}: rumqttc v5 bytes differ", w.name);
        let left = decode_rumqttc_v5(BytesMut::from(&stream[..]));
        assert!(left.is_empty());
    }
    if let Some(rs) = &rs {
        let mut out = vec![0u8; stream.len()];
        let mut pos = 0;
        for p in rs {
            pos += mqttrs::encode_slice(p, &mut out[pos..]).unwrap();
        }
        assert_eq!(&out[..pos], &stream[..], "{}: mqttrs bytes differ", w.name);
        let mut rest = &stream[..];
        for &size in &sizes {
            assert!(mqttrs::decode_slice(rest).unwrap().is_some());
            rest = &rest[size..];
        }
    }
    {
        let mut buf = BytesMut::from(&stream[..]);
        let mut decoder = Decoder::new(version);
        let mut n = 0;
        while let Some(p) = decoder.decode(&mut buf).unwrap() {
            assert_eq!(p, ours[n]);
            n += 1;
        }
        assert_eq!(n, w.count);
        let mut decoder = Decoder::new(version);
        let mut rest = &stream[..];
        n = 0;
        while let Some((view, used)) = decoder.decode_view(rest).unwrap() {
            assert_eq!(view.to_packet(), ours[n]);
            rest = &rest[used..];
            n += 1;
        }
        assert_eq!(n, w.count);
    }

    Prepared {
        version,
        encoder,
        stream,
        sizes,
        ours,
        v4,
        v5,
        rs,
    }
}

/// Measures one workload's decode and encode with criterion.
fn bench_workload(c: &mut Criterion, w: &Workload) {
    let Prepared {
        version,
        encoder,
        stream,
        sizes,
        ours,
        v4,
        v5,
        rs,
    } = prepare(w);
    let batch = BatchSize::NumIterations((BATCH_BYTES / stream.len()).max(1) as u64);
    let fresh = || BytesMut::from(&stream[..]);
    let label = format!("{}/{}", w.name, w.version.label());

    let mut g = c.benchmark_group(format!("decode/{label}"));
    g.throughput(Throughput::Elements(w.count as u64));
    g.bench_function("ours", |b| {
        b.iter_batched(fresh, |buf| decode_ours(version, buf), batch)
    });
    g.bench_function("ours in place", |b| {
        b.iter_batched(fresh, |buf| decode_ours_in_place(version, buf), batch)
    });
    if v4.is_some() {
        g.bench_function("rumqttc", |b| {
            b.iter_batched(fresh, decode_rumqttc_v4, batch)
        });
    }
    if v5.is_some() {
        g.bench_function("rumqttc", |b| {
            b.iter_batched(fresh, decode_rumqttc_v5, batch)
        });
    }
    if rs.is_some() {
        g.bench_function("mqttrs", |b| {
            b.iter_batched(fresh, |buf| decode_mqttrs(buf, &sizes), batch)
        });
    }
    g.bench_function("bytes view", |b| {
        b.iter_batched(fresh, |buf| split_frames(buf, &sizes), batch)
    });
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
            encode_ours(&encoder, &ours, &mut out);
            black_box(&out);
        })
    });
    if let Some(v4) = &v4 {
        g.bench_function("rumqttc", |b| {
            b.iter(|| {
                out.clear();
                encode_rumqttc_v4(v4, &mut out);
                black_box(&out);
            })
        });
    }
    if let Some(v5) = &v5 {
        g.bench_function("rumqttc", |b| {
            b.iter(|| {
                out.clear();
                encode_rumqttc_v5(v5, &mut out);
                black_box(&out);
            })
        });
    }
    if let Some(rs) = &rs {
        let mut slice = vec![0u8; stream.len()];
        g.bench_function("mqttrs", |b| {
            b.iter(|| {
                encode_mqttrs(rs, &mut slice);
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
            for p in ours_packets(&w, &payload_bytes(size)) {
                encoder.encode(&p, &mut stream).unwrap();
            }
            let batch = BatchSize::NumIterations((BATCH_BYTES / stream.len()).max(1) as u64);
            g.bench_with_input(BenchmarkId::new("ours", size), &stream, |b, stream| {
                b.iter_batched(
                    || BytesMut::from(&stream[..]),
                    |buf| decode_ours(version.ours(), buf),
                    batch,
                )
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
/// time per packet, and the median over rounds of its ratio to ours in the
/// same round.
fn paired(rounds: usize) {
    println!("paired rounds: {rounds}; ns per packet: median (lowest); ratio: median of per-round ratios to ours");
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    for w in workloads() {
        let label = format!("{}/{}", w.name, w.version.label());
        if only.as_deref().is_some_and(|f| !label.contains(f)) {
            continue;
        }
        let p = prepare(&w);
        let batch = (BATCH_BYTES / p.stream.len()).max(1);
        let packets = (batch * w.count) as f64;
        let fresh =
            || -> Vec<BytesMut> { (0..batch).map(|_| BytesMut::from(&p.stream[..])).collect() };
        let timed = |run: &mut dyn FnMut(BytesMut) -> BytesMut| -> f64 {
            let inputs = fresh();
            let mut outputs = Vec::with_capacity(batch);
            let start = std::time::Instant::now();
            for buf in inputs {
                outputs.push(run(buf));
            }
            let ns = start.elapsed().as_nanos() as f64;
            drop(outputs);
            ns / packets
        };
        let version = p.version;
        let mut decode: Vec<Contender> = vec![
            (
                "ours",
                Box::new(move || timed(&mut |b| decode_ours(version, b))),
            ),
            (
                "ours in place",
                Box::new(move || timed(&mut |b| decode_ours_in_place(version, b))),
            ),
            (
                "bytes view",
                Box::new(|| timed(&mut |b| split_frames(b, &p.sizes))),
            ),
        ];
        if p.v4.is_some() {
            decode.push(("rumqttc", Box::new(move || timed(&mut decode_rumqttc_v4))));
        }
        if p.v5.is_some() {
            decode.push(("rumqttc", Box::new(move || timed(&mut decode_rumqttc_v5))));
        }
        if p.rs.is_some() {
            decode.push((
                "mqttrs",
                Box::new(|| timed(&mut |b| decode_mqttrs(b, &p.sizes))),
            ));
        }
        report(&format!("decode/{label}"), rounds, decode);

        let stream_len = p.stream.len();
        let per_encode = |run| timed_encode(batch, packets, stream_len, run);
        let mut encode: Vec<Contender> = vec![(
            "ours",
            per_encode(Box::new(|out| encode_ours(&p.encoder, &p.ours, out))),
        )];
        if let Some(v4) = &p.v4 {
            encode.push((
                "rumqttc",
                per_encode(Box::new(move |out| encode_rumqttc_v4(v4, out))),
            ));
        }
        if let Some(v5) = &p.v5 {
            encode.push((
                "rumqttc",
                per_encode(Box::new(move |out| encode_rumqttc_v5(v5, out))),
            ));
        }
        if let Some(rs) = &p.rs {
            let mut slice = vec![0u8; p.stream.len()];
            encode.push((
                "mqttrs",
                per_encode(Box::new(move |_| {
                    encode_mqttrs(rs, &mut slice);
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
/// figures; the first contender is ours.
fn report(group: &str, rounds: usize, mut contenders: Vec<Contender>) {
    let mut runs: Vec<&mut dyn FnMut() -> f64> = contenders
        .iter_mut()
        .map(|(_, run)| &mut **run as _)
        .collect();
    let stats = take_turns(rounds, &mut runs);
    for ((name, _), s) in contenders.iter().zip(stats) {
        println!(
            "{group:32} {name:14} {:8.1} ({:8.1})  x{:.2}",
            s.median, s.lowest, s.ratio_to_first
        );
    }
}
