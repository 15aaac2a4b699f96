//! The data representations of the specification (section 1.5): integers,
//! Variable Byte Integers, strings and binary data, read zero-copy from a
//! packet body and written into a `BytesMut`.

use crate::error::{DecodeError, EncodeError};
use crate::string::{MqttString, MAX_STRING_LEN};
use crate::topic::TopicName;
use bytes::{Buf, Bytes, BytesMut};

/// The largest value a Variable Byte Integer holds (four bytes).
pub const MAX_VARIABLE_BYTE_INTEGER: u32 = 268_435_455;

/// Decodes a Variable Byte Integer from the start of `bytes`.
///
/// `Ok(None)` when `bytes` ends before the integer does; otherwise the value
/// and the number of bytes it took.
#[inline]
pub(crate) fn read_varint(
    bytes: &[u8],
    field: &'static str,
) -> Result<Option<(u32, usize)>, DecodeError> {
    read_varint_as(bytes, field, true)
}

/// [`read_varint`], refusing an encoding longer than needed only if
/// `minimal`: 5.0 requires the shortest form [MQTT-1.5.5-1]; 3.1.1 states
/// no such rule for the Remaining Length (section 2.2.3), so a 3.x
/// decoder accepts a longer form of a value within four bytes.
#[inline]
pub(crate) fn read_varint_as(
    bytes: &[u8],
    field: &'static str,
    minimal: bool,
) -> Result<Option<(u32, usize)>, DecodeError> {
    let mut value: u32 = 0;
    for (i, &b) in bytes.iter().enumerate().take(4) {
        value |= u32::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            // A zero last byte after others means a shorter encoding existed.
            if minimal && b == 0 && i > 0 {
                return Err(DecodeError::InvalidVariableByteInteger { field });
            }
            return Ok(Some((value, i + 1)));
        }
    }
    if bytes.len() >= 4 {
        Err(DecodeError::InvalidVariableByteInteger { field })
    } else {
        Ok(None)
    }
}

/// Number of bytes the Variable Byte Integer `value` takes.
#[inline]
pub(crate) const fn varint_len(value: u32) -> usize {
    match value {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

/// Appending to a `BytesMut`: the part of `bytes::BufMut` the encoder uses.
///
/// `BufMut` writes every integer through `put_slice`, which `bytes` does not
/// inline, and so through a `memcpy` call for a byte or two; these inline
/// to plain stores. The bytes written are the same.
pub(crate) trait Put {
    fn put_u8(&mut self, value: u8);
    fn put_u16(&mut self, value: u16);
    fn put_u32(&mut self, value: u32);
    fn put_slice(&mut self, bytes: &[u8]);
}

impl Put for BytesMut {
    #[inline]
    fn put_u8(&mut self, value: u8) {
        self.extend_from_slice(&[value]);
    }

    #[inline]
    fn put_u16(&mut self, value: u16) {
        self.extend_from_slice(&value.to_be_bytes());
    }

    #[inline]
    fn put_u32(&mut self, value: u32) {
        self.extend_from_slice(&value.to_be_bytes());
    }

    #[inline]
    fn put_slice(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Writes a Variable Byte Integer; `value` must not exceed the four-byte maximum.
#[inline]
pub(crate) fn put_varint(buf: &mut BytesMut, mut value: u32) {
    debug_assert!(value <= MAX_VARIABLE_BYTE_INTEGER);
    loop {
        let mut byte = (value & 0x7F) as u8;
        value >>= 7;
        if value > 0 {
            byte |= 0x80;
        }
        buf.put_u8(byte);
        if value == 0 {
            break;
        }
    }
}

/// Writes a two-byte length followed by the bytes; the length was checked before.
#[inline]
pub(crate) fn put_prefixed(buf: &mut BytesMut, bytes: &[u8]) {
    debug_assert!(bytes.len() <= MAX_STRING_LEN);
    buf.put_u16(bytes.len() as u16);
    buf.put_slice(bytes);
}

/// Size on the wire of a length-prefixed binary field, or an error if it is too long.
#[inline]
pub(crate) fn binary_len(bytes: &[u8], field: &'static str) -> Result<usize, EncodeError> {
    if bytes.len() > MAX_STRING_LEN {
        return Err(EncodeError::FieldTooLong {
            field,
            len: bytes.len(),
        });
    }
    Ok(2 + bytes.len())
}

/// A cursor over one packet body that hands out zero-copy slices of it.
pub(crate) struct Reader {
    buf: Bytes,
    pos: usize,
    /// Where reading stops: the end of `buf`, or of the section being read
    /// (see [`Reader::within`]).
    end: usize,
}

impl Reader {
    pub(crate) fn new(buf: Bytes) -> Self {
        let end = buf.len();
        Self { buf, pos: 0, end }
    }

    /// A reader of `buf` whose first `pos` bytes were already read elsewhere.
    #[inline]
    pub(crate) fn starting_at(buf: Bytes, pos: usize) -> Self {
        debug_assert!(pos <= buf.len());
        let end = buf.len();
        Self { buf, pos, end }
    }

    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.end - self.pos
    }

    /// Reads the next `len` bytes (at most [`remaining`](Self::remaining))
    /// with `f`, as if the body ended after them, then goes on after them.
    ///
    /// A section read this way costs no `Bytes` view of its own, which is
    /// a reference-count increment and decrement saved per section.
    #[inline]
    pub(crate) fn within<T>(
        &mut self,
        len: usize,
        f: impl FnOnce(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        debug_assert!(len <= self.remaining());
        let outer = self.end;
        self.end = self.pos + len;
        let result = f(self);
        self.pos = self.end;
        self.end = outer;
        result
    }

    #[inline]
    fn take(&mut self, n: usize, what: &'static str) -> Result<&[u8], DecodeError> {
        if self.remaining() < n {
            return Err(DecodeError::Truncated(what));
        }
        let start = self.pos;
        self.pos += n;
        Ok(&self.buf[start..self.pos])
    }

    #[inline]
    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(1, what)?[0])
    }

    #[inline]
    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    #[inline]
    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    #[inline]
    pub(crate) fn varint(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        match read_varint(&self.buf[self.pos..self.end], what)? {
            Some((value, len)) => {
                self.pos += len;
                Ok(value)
            }
            None => Err(DecodeError::Truncated(what)),
        }
    }

    /// `n` bytes as a view of the packet.
    #[inline]
    pub(crate) fn bytes(&mut self, n: usize, what: &'static str) -> Result<Bytes, DecodeError> {
        if self.remaining() < n {
            return Err(DecodeError::Truncated(what));
        }
        let start = self.pos;
        self.pos += n;
        Ok(self.buf.slice(start..self.pos))
    }

    /// Binary Data: a two-byte length and that many bytes.
    #[inline]
    pub(crate) fn binary(&mut self, what: &'static str) -> Result<Bytes, DecodeError> {
        let len = self.u16(what)? as usize;
        self.bytes(len, what)
    }

    /// A UTF-8 Encoded String, validated.
    #[inline]
    pub(crate) fn string(&mut self, what: &'static str) -> Result<MqttString, DecodeError> {
        let raw = self.binary(what)?;
        MqttString::from_bytes(raw).map_err(|source| DecodeError::InvalidString {
            field: what,
            source,
        })
    }

    /// A UTF-8 string that must be a valid topic name.
    #[inline]
    pub(crate) fn topic_name(&mut self, what: &'static str) -> Result<TopicName, DecodeError> {
        let raw = self.binary(what)?;
        TopicName::from_bytes(raw).map_err(|source| DecodeError::InvalidTopicName {
            field: what,
            source,
        })
    }

    /// Everything not read yet, consuming the reader (no reference-count change).
    #[inline]
    pub(crate) fn into_rest(mut self) -> Bytes {
        debug_assert_eq!(self.end, self.buf.len(), "into_rest inside a section");
        self.buf.advance(self.pos);
        self.buf
    }
}
