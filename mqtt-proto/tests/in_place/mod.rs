//! Decoding a whole stream in place, for tests that compare it with the
//! owned decoder.

use mqtt_proto::{DecodeError, Decoder, Packet};

/// What `decoder.decode_view` yields for all of `bytes`, each packet made
/// owned: the packets, then the error if any.
pub fn decode_all(mut decoder: Decoder, bytes: &[u8]) -> (Vec<Packet>, Option<DecodeError>) {
    let mut packets = Vec::new();
    let mut rest = bytes;
    loop {
        match decoder.decode_view(rest) {
            Ok(Some((packet, used))) => {
                packets.push(packet.to_packet());
                rest = &rest[used..];
            }
            Ok(None) => return (packets, None),
            Err(e) => return (packets, Some(e)),
        }
    }
}
