//! UTF-8 strings as MQTT defines them.

use bytes::Bytes;
use core::fmt;
use core::ops::Deref;

/// The longest string or binary field a packet can hold: a two-byte length prefix.
pub const MAX_STRING_LEN: usize = u16::MAX as usize;

/// Why bytes are not a valid MQTT string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StringError {
    /// Longer than 65,535 bytes.
    #[error("string of {0} bytes exceeds the 65535-byte limit")]
    TooLong(usize),
    /// Ill-formed UTF-8, surrogates included [MQTT-1.5.4-1].
    #[error("string is not well-formed UTF-8 [MQTT-1.5.4-1]")]
    InvalidUtf8,
    /// Contains U+0000 [MQTT-1.5.4-2].
    #[error("string contains the null character U+0000 [MQTT-1.5.4-2]")]
    NullCharacter,
}

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// The high bit of some byte is set if `word` has a zero byte (exact as a
/// yes-or-no answer, which is all it is used for).
#[inline(always)]
const fn zero_byte(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

/// High bits set where eight bytes are not plain: not ASCII, NUL, or one of `forbidden`.
#[inline(always)]
fn unusual_bytes(eight: &[u8], forbidden: &[u8]) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(eight);
    let word = u64::from_ne_bytes(word);
    let mut unusual = word | zero_byte(word);
    for &b in forbidden {
        unusual |= zero_byte(word ^ (ONES * u64::from(b)));
    }
    unusual & HIGHS
}

/// Whether every byte is ASCII other than NUL and none is in `forbidden`:
/// the common case, which needs no UTF-8 decoding. Checks eight bytes per
/// step without branching; the last step overlaps the previous one instead
/// of looping over the remaining bytes one by one.
#[inline(always)]
pub(crate) fn is_plain_ascii(bytes: &[u8], forbidden: &[u8]) -> bool {
    if bytes.len() < 8 {
        return bytes
            .iter()
            .all(|&b| b != 0 && b < 0x80 && !forbidden.contains(&b));
    }
    let mut unusual = unusual_bytes(&bytes[bytes.len() - 8..], forbidden);
    for eight in bytes.chunks_exact(8) {
        unusual |= unusual_bytes(eight, forbidden);
    }
    unusual == 0
}

/// Checks the rules every MQTT string follows, on raw bytes.
///
/// Inlined: ASCII is by far the common case and one pass settles it, NUL
/// check included; the rest is out of line.
#[inline]
pub(crate) fn validate(bytes: &[u8]) -> Result<(), StringError> {
    if bytes.len() <= MAX_STRING_LEN && is_plain_ascii(bytes, &[]) {
        return Ok(());
    }
    validate_unusual(bytes)
}

/// [`validate`] for a string too long, or not plain ASCII.
#[cold]
fn validate_unusual(bytes: &[u8]) -> Result<(), StringError> {
    if bytes.len() > MAX_STRING_LEN {
        return Err(StringError::TooLong(bytes.len()));
    }
    core::str::from_utf8(bytes).map_err(|_| StringError::InvalidUtf8)?;
    if bytes.contains(&0) {
        return Err(StringError::NullCharacter);
    }
    Ok(())
}

/// The `&str` of bytes already validated by [`validate`].
///
/// The one `unsafe` block of the crate, there because a benchmark proved
/// the need: re-checking UTF-8 on every access was a quarter of the
/// in-place decoder's instructions per PUBLISH (108 of 452 on 32-byte
/// messages) and most of its mispredicted branches, and made the decoder
/// level with mqttrs instead of ahead (docs/benchmarks.md, codec section).
#[allow(unsafe_code)]
#[inline]
pub(crate) fn as_validated_str(bytes: &[u8]) -> &str {
    debug_assert!(core::str::from_utf8(bytes).is_ok());
    // SAFETY: every caller passes the bytes of a `MqttString`, `TopicName`,
    // `TopicNameRef` or `TopicFilter`, whose constructors all run
    // `validate` (UTF-8 included) before wrapping them, and which never
    // change them afterwards.
    unsafe { core::str::from_utf8_unchecked(bytes) }
}

/// A UTF-8 string of at most 65,535 bytes without U+0000, as MQTT requires
/// for every string field. Decoded strings are zero-copy views of the input.
///
/// ```
/// use mqtt_proto::MqttString;
/// let s = MqttString::new("client-1").unwrap();
/// assert_eq!(s.as_str(), "client-1");
/// assert!(MqttString::new("a\0b").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MqttString(Bytes);

impl MqttString {
    /// Validates and wraps a string.
    pub fn new(s: impl Into<String>) -> Result<Self, StringError> {
        let s: String = s.into();
        validate(s.as_bytes())?;
        Ok(Self(Bytes::from(s)))
    }

    /// Validates and wraps a static string without copying it.
    pub fn from_static(s: &'static str) -> Result<Self, StringError> {
        validate(s.as_bytes())?;
        Ok(Self(Bytes::from_static(s.as_bytes())))
    }

    /// Validates raw bytes (for example a slice of a received packet) without copying.
    pub fn from_bytes(bytes: Bytes) -> Result<Self, StringError> {
        validate(&bytes)?;
        Ok(Self(bytes))
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        as_validated_str(&self.0)
    }

    /// The UTF-8 bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The underlying buffer.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Deref for MqttString {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for MqttString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for MqttString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<&str> for MqttString {
    type Error = StringError;
    fn try_from(s: &str) -> Result<Self, StringError> {
        Self::new(s)
    }
}

impl TryFrom<String> for MqttString {
    type Error = StringError;
    fn try_from(s: String) -> Result<Self, StringError> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ascii_scan_sees_every_byte_at_every_length() {
        // The scan reads eight bytes per step and overlaps its last step, so
        // every length and position is checked against the byte-wise rule:
        // NUL and non-ASCII bytes need the full check.
        for len in 0..=40 {
            let plain = vec![b'a'; len];
            assert!(is_plain_ascii(&plain, b"+#"), "len {len}");
            for pos in 0..len {
                for (byte, plain_without, plain_with) in [
                    (0x00, false, false),
                    (0x80, false, false),
                    (0xC3, false, false),
                    (0xFF, false, false),
                    (b'+', true, false),
                    (b'#', true, false),
                    (0x01, true, true),
                    (0x7F, true, true),
                ] {
                    let mut bytes = plain.clone();
                    bytes[pos] = byte;
                    assert_eq!(
                        is_plain_ascii(&bytes, &[]),
                        plain_without,
                        "{byte:#x} at {pos} of {len}"
                    );
                    assert_eq!(
                        is_plain_ascii(&bytes, b"+#"),
                        plain_with,
                        "{byte:#x} at {pos} of {len}, wildcards forbidden"
                    );
                }
            }
        }
    }

    /// [MQTT-1.5.4-1, 5.0] [MQTT-1.5.3-1, 3.1.1]: no ill-formed UTF-8, and
    /// no encoded surrogate, in a string.
    #[test]
    fn mqtt_1_5_4_1_rejects_ill_formed_utf8() {
        assert_eq!(
            MqttString::from_bytes(Bytes::from_static(b"\xff")),
            Err(StringError::InvalidUtf8)
        );
        // An encoded surrogate (U+D800) is ill-formed in UTF-8.
        assert_eq!(
            MqttString::from_bytes(Bytes::from_static(b"\xed\xa0\x80")),
            Err(StringError::InvalidUtf8)
        );
    }

    /// [MQTT-1.5.4-2, 5.0] [MQTT-1.5.3-2, 3.1.1]: no U+0000 in a string.
    #[test]
    fn mqtt_1_5_4_2_rejects_null() {
        assert_eq!(MqttString::new("a\0"), Err(StringError::NullCharacter));
        assert_eq!(MqttString::new("é\0"), Err(StringError::NullCharacter));
    }

    #[test]
    fn accepts_non_ascii_and_length_limit() {
        assert_eq!(
            MqttString::new("Ä\u{FEFF}x").unwrap().as_str(),
            "Ä\u{FEFF}x"
        );
        assert!(MqttString::new("a".repeat(65_535)).is_ok());
        assert_eq!(
            MqttString::new("a".repeat(65_536)),
            Err(StringError::TooLong(65_536))
        );
    }
}
