//! The checks behind the fuzz targets in `fuzz_targets/`, kept in a library
//! so that `cargo test --manifest-path fuzz/Cargo.toml` runs the committed
//! seed corpus through them on the stable toolchain, without libFuzzer.
//!
//! Every check panics on a violation; libFuzzer reports the panic as a crash.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod build;
pub mod session;

use arbitrary::Unstructured;
use bytes::BytesMut;
use mqtt_proto::reference::{self, RefError};
use mqtt_proto::{
    DecodeError, Decoder, Encodable, EncodeError, Encoder, Packet, ProtocolVersion, MAX_PACKET_SIZE,
};

/// The versions, in the order a selector byte picks them.
pub const VERSIONS: [ProtocolVersion; 3] = [
    ProtocolVersion::V3_1,
    ProtocolVersion::V3_1_1,
    ProtocolVersion::V5,
];

/// The version a selector byte names (its value modulo 3).
pub fn version_from(byte: u8) -> ProtocolVersion {
    VERSIONS[usize::from(byte % 3)]
}

/// The byte that selects `version` in [`decode`] and [`chunked`] inputs.
pub fn version_byte(version: ProtocolVersion) -> u8 {
    match version {
        ProtocolVersion::V3_1 => 0,
        ProtocolVersion::V3_1_1 => 1,
        ProtocolVersion::V5 => 2,
    }
}

/// Target `decode`: the first byte picks the version (its value modulo 3)
/// and, if bit 2 is set, a small maximum packet size taken from the second
/// byte; the rest is a byte stream.
///
/// Decodes packet after packet until the decoder errs or wants more bytes.
/// At each step the reference decoder must give the same verdict, the
/// in-place decoder (`decode_view`) the same packet or error, and each
/// decoded packet must survive encode -> decode unchanged.
pub fn decode(data: &[u8]) {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let version = version_from(head);
    let (max, stream) = match (head & 0x04 != 0, rest.split_first()) {
        (true, Some((&m, stream))) => (u32::from(m) * 4, stream),
        _ => (MAX_PACKET_SIZE as u32, rest),
    };
    let mut decoder = Decoder::new(version).with_max_packet_size(max);
    let mut viewer = decoder.clone();
    let mut buf = BytesMut::from(stream);
    let mut at = 0;
    loop {
        let now = decoder.version();
        let before = buf.len();
        let expected = reference::decode_packet_limited(now, max, &stream[at..]);
        let in_place = viewer
            .decode_view(&stream[at..])
            .map(|found| found.map(|(view, used)| (view.to_packet(), used)));
        let decoded = decoder.decode(&mut buf);
        assert_eq!(
            in_place,
            decoded
                .clone()
                .map(|found| found.map(|packet| (packet, before - buf.len()))),
            "decode_view (left) disagrees with decode (right) at offset {at}, {now}"
        );
        match decoded {
            Ok(Some(packet)) => {
                let used = before - buf.len();
                assert!(used > 0, "a packet of zero bytes");
                assert_eq!(
                    expected,
                    Ok((packet.clone(), used)),
                    "reference (left) disagrees with the decoder (right) at offset {at}, {now}"
                );
                if let Packet::Connect(c) = &packet {
                    assert_eq!(decoder.version(), c.protocol);
                }
                check_reencode(&packet, now);
                at += used;
            }
            Ok(None) => {
                assert_eq!(buf.len(), before, "Ok(None) consumed bytes");
                assert_eq!(
                    expected,
                    Err(RefError::Incomplete),
                    "reference disagrees at offset {at}, {now}: the decoder wants more bytes"
                );
                return;
            }
            Err(e) => {
                check_refusal(&expected, &e, at, now);
                return;
            }
        }
    }
}

fn check_refusal(
    expected: &Result<(Packet, usize), RefError>,
    e: &DecodeError,
    at: usize,
    version: ProtocolVersion,
) {
    match expected {
        Err(r @ RefError::Invalid { .. }) => assert_eq!(
            r.reason_code(),
            Some(e.reason_code()),
            "reference says {r}, decoder says {e} at offset {at}, {version}"
        ),
        other => {
            panic!("decoder refused ({e}) but reference says {other:?} at offset {at}, {version}")
        }
    }
}

/// A decoded packet re-encodes in the version it was decoded at, decodes
/// back to itself, and its encoding is stable from then on.
pub fn check_reencode(packet: &Packet, version: ProtocolVersion) {
    let mut wire = BytesMut::new();
    let n = packet
        .encode(version, &mut wire)
        .unwrap_or_else(|e| panic!("decoded {packet:?} does not re-encode in {version}: {e}"));
    assert_eq!(n, wire.len());
    assert_eq!(packet.encoded_len(version), Ok(n));
    let mut again_buf = wire.clone();
    let again = Decoder::new(version)
        .decode(&mut again_buf)
        .unwrap_or_else(|e| panic!("re-encoded {packet:?} ({version}) is refused: {e}"))
        .expect("a whole re-encoded packet is complete");
    assert_eq!(
        &again, packet,
        "decode -> encode -> decode changed the packet"
    );
    assert!(again_buf.is_empty(), "re-encoded packet left bytes over");
    let mut wire2 = BytesMut::new();
    again.encode(version, &mut wire2).expect("re-encodes twice");
    assert_eq!(wire, wire2, "encoding is not a function of the packet");
    assert_eq!(
        reference::decode_packet(version, &wire),
        Ok((packet.clone(), wire.len())),
        "reference disagrees on a re-encoded packet"
    );
    check_in_place(&wire, packet, version);
}

/// `wire` read in place is `packet`, and takes all of `wire`.
fn check_in_place(wire: &[u8], packet: &Packet, version: ProtocolVersion) {
    let (view, used) = Decoder::new(version)
        .decode_view(wire)
        .unwrap_or_else(|e| panic!("{packet:?} ({version}) is refused in place: {e}"))
        .expect("a whole packet is complete in place");
    assert_eq!(used, wire.len(), "in place, the packet's size differs");
    assert_eq!(&view.to_packet(), packet, "in place, the packet differs");
}

/// Everything a decoder made of a stream: the packets, and how it stopped.
#[derive(Debug, PartialEq)]
struct Run {
    packets: Vec<Packet>,
    end: Result<Vec<u8>, DecodeError>,
}

/// Target `chunked`: the first byte picks the version (modulo 3), a small
/// maximum packet size (bit 2) and how many chunk sizes follow (high
/// nibble + 1); the chunk sizes come next, then the stream.
///
/// The stream is fed to one decoder in chunks of those sizes (cycling,
/// zero-sized ones included), decoding after each chunk. The packets and
/// the final error or leftover bytes must equal those of a one-shot decode.
pub fn chunked(data: &[u8]) {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let version = version_from(head);
    let count = usize::from(head >> 4) + 1;
    if rest.len() < count {
        return;
    }
    let (sizes, stream) = rest.split_at(count);
    let max = if head & 0x04 != 0 {
        u32::from(sizes[0]) * 8
    } else {
        MAX_PACKET_SIZE as u32
    };

    let whole = {
        let mut decoder = Decoder::new(version).with_max_packet_size(max);
        let mut buf = BytesMut::from(stream);
        let mut packets = Vec::new();
        let end = loop {
            match decoder.decode(&mut buf) {
                Ok(Some(p)) => packets.push(p),
                Ok(None) => break Ok(buf.to_vec()),
                Err(e) => break Err(e),
            }
        };
        Run { packets, end }
    };

    let pieces = {
        let mut decoder = Decoder::new(version).with_max_packet_size(max);
        let mut buf = BytesMut::new();
        let mut packets = Vec::new();
        let all_zero = sizes.iter().all(|&s| s == 0);
        let mut fed = 0;
        let mut k = 0;
        let end = 'feed: loop {
            let size = if all_zero {
                1
            } else {
                usize::from(sizes[k % sizes.len()])
            };
            k += 1;
            let take = size.min(stream.len() - fed);
            buf.extend_from_slice(&stream[fed..fed + take]);
            fed += take;
            loop {
                match decoder.decode(&mut buf) {
                    Ok(Some(p)) => packets.push(p),
                    Ok(None) => break,
                    Err(e) => break 'feed Err(e),
                }
            }
            if fed == stream.len() {
                break Ok(buf.to_vec());
            }
        };
        Run { packets, end }
    };

    assert_eq!(
        whole, pieces,
        "one-shot (left) and chunked (right) decoding differ, {version}"
    );
}

/// Target `roundtrip_structured`: builds a packet valid for a version from
/// the input ([`build::packet`]), encodes it, and checks that decoding gives
/// the same packet and takes exactly the bytes written, that the reference
/// decoder agrees, and that a size limit refuses it whole or not at all.
pub fn roundtrip_structured(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok((version, packet)) = build::packet(&mut u) else {
        return;
    };
    // Bytes already in the buffer must stay as they are.
    let mut buf = BytesMut::from(&b"old"[..]);
    let n = packet
        .encode(version, &mut buf)
        .unwrap_or_else(|e| panic!("valid {packet:?} refused in {version}: {e}"));
    assert_eq!(&buf[..3], b"old");
    assert_eq!(buf.len(), 3 + n);
    assert_eq!(packet.encoded_len(version), Ok(n));
    let wire = buf.split_off(3);

    let mut rx = wire.clone();
    let mut decoder = Decoder::new(version);
    let decoded = decoder
        .decode(&mut rx)
        .unwrap_or_else(|e| panic!("{packet:?} encoded in {version} is refused: {e}"))
        .unwrap_or_else(|| panic!("{packet:?} encoded in {version} is incomplete"));
    assert_eq!(decoded, packet, "encode -> decode changed the packet");
    assert!(rx.is_empty(), "decoding left {} of {n} bytes", rx.len());
    check_in_place(&wire, &packet, version);
    assert_eq!(
        reference::decode_packet(version, &wire),
        Ok((packet.clone(), n)),
        "reference disagrees"
    );
    for cut in [0, 1, n / 2, n - 1] {
        let mut part = BytesMut::from(&wire[..cut]);
        assert_eq!(Decoder::new(version).decode(&mut part), Ok(None));
    }

    // A size limit lets the packet through whole or refuses it, writing nothing.
    let limit = u.arbitrary::<u16>().unwrap_or(0);
    let mut limited = BytesMut::new();
    match Encoder::new(version)
        .with_max_packet_size(u32::from(limit))
        .encode(&packet, &mut limited)
    {
        Ok(m) => {
            assert!(m <= usize::from(limit));
            assert_eq!(limited, wire);
        }
        Err(EncodeError::PacketTooLarge { size, .. }) => {
            assert!(n > usize::from(limit));
            assert_eq!(size, n);
            assert!(limited.is_empty());
        }
        Err(e) => panic!("size-limited encoder refused {packet:?}: {e}"),
    }
}

#[cfg(test)]
mod tests;
