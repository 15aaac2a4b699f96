use super::TopicError;
use crate::string::{as_validated_str, validate};
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
    pub fn from_bytes(bytes: Bytes) -> Result<Self, TopicError> {
        if bytes.is_empty() {
            return Err(TopicError::Empty);
        }
        validate(&bytes)?;
        if bytes.iter().any(|&b| b == b'+' || b == b'#') {
            return Err(TopicError::WildcardInName);
        }
        Ok(Self(bytes))
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
        self.0.first() == Some(&b'$')
    }

    /// The levels between `/` separators.
    pub fn levels(&self) -> impl Iterator<Item = &str> {
        self.as_str().split('/')
    }
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
