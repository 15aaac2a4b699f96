use super::TopicError;
use crate::string::{as_validated_str, is_plain_ascii, validate, MAX_STRING_LEN};
use bytes::Bytes;
use core::fmt;

/// A topic name a message is published to: a non-empty MQTT string without
/// wildcards. Empty levels (`a//b`, `/a`) are allowed.
///
/// ```
/// use mqtt_proto::TopicName;
/// assert!(TopicName::new("sensors/kitchen/temp").is_ok());
/// assert!(TopicName::new("sensors/+/temp").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicName(Bytes);

impl TopicName {
    /// Validates and wraps a topic name.
    pub fn new(s: impl Into<String>) -> Result<Self, TopicError> {
        Self::from_bytes(Bytes::from(s.into()))
    }

    /// Validates a static topic name without copying it.
    pub fn from_static(s: &'static str) -> Result<Self, TopicError> {
        Self::from_bytes(Bytes::from_static(s.as_bytes()))
    }

    /// Validates raw bytes (for example a slice of a received packet) without copying.
    #[inline]
    pub fn from_bytes(bytes: Bytes) -> Result<Self, TopicError> {
        parse(&bytes)?;
        Ok(Self(bytes))
    }

    /// Wraps bytes that [`validate_name`] has accepted.
    #[inline]
    pub(crate) fn from_validated(bytes: Bytes) -> Self {
        debug_assert!(parse(&bytes).is_ok());
        Self(bytes)
    }

    /// The topic.
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
    #[allow(clippy::len_without_is_empty)] // never empty by construction
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the topic starts with `$` (system topics such as `$SYS/...`),
    /// which filters starting with a wildcard do not match [MQTT-4.7.2-1].
    pub fn is_system(&self) -> bool {
        is_system_name(&self.0)
    }

    /// The levels between `/` separators.
    pub fn levels(&self) -> impl Iterator<Item = &str> {
        self.as_str().split('/')
    }
}

/// Checks a topic name. Shared with
/// [`topic_matches_sub`](super::topic_matches_sub), which must not allocate.
///
/// Inlined: one branch-free pass settles the common case (ASCII, no
/// wildcard, no NUL); the checks that name the fault are out of line.
#[inline]
pub(super) fn parse(bytes: &[u8]) -> Result<(), TopicError> {
    if !bytes.is_empty() && bytes.len() <= MAX_STRING_LEN && is_plain_ascii(bytes, b"+#") {
        return Ok(());
    }
    parse_unusual(bytes)
}

/// Whether a topic name is a system one, starting with `$`: the rule
/// [MQTT-4.7.2-1] rests on, shared by both topic types and matching.
#[inline]
pub(crate) fn is_system_name(name: &[u8]) -> bool {
    name.first() == Some(&b'$')
}

/// Checks `bytes` are a valid topic name, for a decoder that has not yet
/// decided whether to wrap them.
#[inline]
pub(crate) fn validate_name(bytes: &[u8]) -> Result<(), TopicError> {
    parse(bytes)
}

/// [`parse`] for a name that is empty, too long, or not plain ASCII.
#[cold]
fn parse_unusual(bytes: &[u8]) -> Result<(), TopicError> {
    if bytes.is_empty() {
        return Err(TopicError::Empty);
    }
    validate(bytes)?;
    if bytes.iter().any(|&b| b == b'+' || b == b'#') {
        return Err(TopicError::WildcardInName);
    }
    Ok(())
}

impl fmt::Debug for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<&str> for TopicName {
    type Error = TopicError;
    fn try_from(s: &str) -> Result<Self, TopicError> {
        Self::new(s)
    }
}

impl TryFrom<String> for TopicName {
    type Error = TopicError;
    fn try_from(s: String) -> Result<Self, TopicError> {
        Self::new(s)
    }
}

impl core::str::FromStr for TopicName {
    type Err = TopicError;
    fn from_str(s: &str) -> Result<Self, TopicError> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::string::StringError;

    /// [MQTT-4.7.3-1, 3.1.1, 5.0]
    #[test]
    fn mqtt_4_7_3_1_empty_is_rejected() {
        assert_eq!(TopicName::new(""), Err(TopicError::Empty));
        assert_eq!(TopicName::from_bytes(Bytes::new()), Err(TopicError::Empty));
    }

    /// [MQTT-3.3.2-2, 3.1.1, 5.0] [MQTT-4.7.1-1, 3.1.1] [MQTT-4.7.0-1, 5.0]
    #[test]
    fn mqtt_3_3_2_2_wildcards_are_rejected_anywhere() {
        for bad in [
            "+",
            "#",
            "a/+",
            "a/#",
            "a+",
            "#a",
            "a/b+c",
            "+/a",
            "sport/tennis#",
        ] {
            assert_eq!(
                TopicName::new(bad),
                Err(TopicError::WildcardInName),
                "{bad}"
            );
        }
    }

    /// [MQTT-4.7.3-2, 3.1.1, 5.0]
    #[test]
    fn mqtt_4_7_3_2_null_is_rejected() {
        assert_eq!(
            TopicName::new("a\0b"),
            Err(TopicError::String(StringError::NullCharacter))
        );
    }

    /// [MQTT-4.7.3-3, 3.1.1, 5.0]
    #[test]
    fn mqtt_4_7_3_3_length_limit() {
        assert!(TopicName::new("a".repeat(65_535)).is_ok());
        assert_eq!(
            TopicName::new("a".repeat(65_536)),
            Err(TopicError::String(StringError::TooLong(65_536)))
        );
    }

    /// [MQTT-1.5.4-1, 5.0] [MQTT-1.5.3-1, 3.1.1]
    #[test]
    fn mqtt_1_5_4_1_ill_formed_utf8_is_rejected() {
        assert_eq!(
            TopicName::from_bytes(Bytes::from_static(b"a/\xc3")),
            Err(TopicError::String(StringError::InvalidUtf8))
        );
    }

    #[test]
    fn separators_empty_levels_spaces_and_unicode_are_valid() {
        // 4.7.3: "/" alone is valid; leading or trailing "/" make distinct names.
        for ok in [
            "/",
            "//",
            "/finance",
            "finance/",
            "a//b",
            "Accounts payable",
            "$SYS/x",
            "日本/温度",
        ] {
            let name = TopicName::new(ok).unwrap();
            assert_eq!(name.as_str(), ok);
            assert_eq!(name.len(), ok.len());
        }
        assert_ne!(TopicName::new("/finance"), TopicName::new("finance"));
        assert_ne!(TopicName::new("ACCOUNTS"), TopicName::new("Accounts"));
    }

    #[test]
    fn levels_and_system() {
        let name = TopicName::from_static("/a//b/").unwrap();
        assert_eq!(name.levels().collect::<Vec<_>>(), ["", "a", "", "b", ""]);
        assert!(TopicName::new("$SYS/uptime").unwrap().is_system());
        assert!(!TopicName::new("a/$SYS").unwrap().is_system());
        assert!(!TopicName::new("/$SYS").unwrap().is_system());
    }

    #[test]
    fn conversions_agree() {
        let a: TopicName = "a/b".parse().unwrap();
        let b = TopicName::try_from("a/b").unwrap();
        let c = TopicName::try_from(String::from("a/b")).unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(a.to_string(), "a/b");
        assert_eq!(format!("{a:?}"), "\"a/b\"");
        assert_eq!(a.into_bytes(), Bytes::from_static(b"a/b"));
        assert_eq!("a+".parse::<TopicName>(), Err(TopicError::WildcardInName));
    }
}
