//! Building packets byte by byte, as the specification draws them, for
//! the tests that check the codec against exact bytes.
#![allow(dead_code)]

/// A Variable Byte Integer (a Remaining Length, a Property Length).
pub fn vbi(mut n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let mut byte = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if n == 0 {
            return out;
        }
    }
}

/// A packet: first byte, remaining length, body.
pub fn frame(first: u8, body: &[u8]) -> Vec<u8> {
    [&[first][..], &vbi(body.len()), body].concat()
}

/// The parts, one after the other.
pub fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// A length-prefixed string or binary field.
pub fn lp(bytes: &[u8]) -> Vec<u8> {
    let len = u16::try_from(bytes.len()).unwrap().to_be_bytes();
    [&len[..], bytes].concat()
}
