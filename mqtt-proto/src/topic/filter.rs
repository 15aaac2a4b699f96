use super::TopicError;
use crate::string::{as_validated_str, validate};
use bytes::Bytes;
use core::fmt;

const SHARE_PREFIX: &[u8] = b"$share/";

/// A topic filter a client subscribes to: a non-empty MQTT string in which
/// `+` and `#` occupy whole levels and `#` comes last, or a shared
/// subscription `$share/{ShareName}/{filter}`.
///
/// ```
/// use mqtt_proto::TopicFilter;
/// assert!(TopicFilter::new("sport/+/player1/#").is_ok());
/// assert!(TopicFilter::new("sport/tennis#").is_err());
/// let shared = TopicFilter::new("$share/workers/jobs/#").unwrap();
/// assert_eq!(shared.share_name(), Some("workers"));
/// assert_eq!(shared.matching_filter(), "jobs/#");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicFilter {
    bytes: Bytes,
    /// Where the filter that topics are matched against starts: after
    /// `$share/{ShareName}/` for a shared subscription, else 0.
    filter_start: u16,
}

impl TopicFilter {
    /// Validates and wraps a topic filter.
    pub fn new(s: impl Into<String>) -> Result<Self, TopicError> {
        Self::from_bytes(Bytes::from(s.into()))
    }

    /// Validates a static topic filter without copying it.
    pub fn from_static(s: &'static str) -> Result<Self, TopicError> {
        Self::from_bytes(Bytes::from_static(s.as_bytes()))
    }

    /// Validates raw bytes (for example a slice of a received packet) without copying.
    pub fn from_bytes(bytes: Bytes) -> Result<Self, TopicError> {
        if bytes.is_empty() {
            return Err(TopicError::Empty);
        }
        validate(&bytes)?;
        let filter_start = if bytes.starts_with(SHARE_PREFIX) {
            let rest = &bytes[SHARE_PREFIX.len()..];
            let name_len = rest.iter().position(|&b| b == b'/').ok_or(
                // `$share/name` with no filter part, or `$share/` alone.
                if rest.is_empty() || rest.iter().any(|&b| b == b'+' || b == b'#') {
                    TopicError::InvalidShareName
                } else {
                    TopicError::EmptySharedFilter
                },
            )?;
            let name = &rest[..name_len];
            if name.is_empty() || name.iter().any(|&b| b == b'+' || b == b'#') {
                return Err(TopicError::InvalidShareName);
            }
            SHARE_PREFIX.len() + name_len + 1
        } else {
            0
        };
        let filter = &bytes[filter_start..];
        if filter.is_empty() {
            return Err(TopicError::EmptySharedFilter);
        }
        check_wildcards(filter)?;
        Ok(Self {
            filter_start: filter_start as u16,
            bytes,
        })
    }

    /// The filter as sent in SUBSCRIBE, `$share/...` prefix included.
    pub fn as_str(&self) -> &str {
        as_validated_str(&self.bytes)
    }

    /// The UTF-8 bytes as sent in SUBSCRIBE.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The underlying buffer.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// Length in bytes.
    #[allow(clippy::len_without_is_empty)] // never empty by construction
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// The share name of a shared subscription.
    pub fn share_name(&self) -> Option<&str> {
        if self.filter_start == 0 {
            return None;
        }
        let end = self.filter_start as usize - 1;
        Some(&self.as_str()[SHARE_PREFIX.len()..end])
    }

    /// Whether this is a shared subscription (`$share/{ShareName}/{filter}`).
    pub fn is_shared(&self) -> bool {
        self.filter_start != 0
    }

    /// The filter that topic names are matched against: the part after
    /// `$share/{ShareName}/` for a shared subscription, else the whole filter.
    pub fn matching_filter(&self) -> &str {
        &self.as_str()[self.filter_start as usize..]
    }

    /// Whether the filter contains `+` or `#`.
    pub fn has_wildcards(&self) -> bool {
        self.matching_filter()
            .bytes()
            .any(|b| b == b'+' || b == b'#')
    }
}

/// `+` and `#` must fill a whole level; `#` must be the last level.
fn check_wildcards(filter: &[u8]) -> Result<(), TopicError> {
    let mut levels = filter.split(|&b| b == b'/').peekable();
    while let Some(level) = levels.next() {
        if level.contains(&b'#') && (level.len() != 1 || levels.peek().is_some()) {
            return Err(TopicError::InvalidMultiLevelWildcard);
        }
        if level.contains(&b'+') && level.len() != 1 {
            return Err(TopicError::InvalidSingleLevelWildcard);
        }
    }
    Ok(())
}

impl fmt::Debug for TopicFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for TopicFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<&str> for TopicFilter {
    type Error = TopicError;
    fn try_from(s: &str) -> Result<Self, TopicError> {
        Self::new(s)
    }
}

impl TryFrom<String> for TopicFilter {
    type Error = TopicError;
    fn try_from(s: String) -> Result<Self, TopicError> {
        Self::new(s)
    }
}

impl core::str::FromStr for TopicFilter {
    type Err = TopicError;
    fn from_str(s: &str) -> Result<Self, TopicError> {
        Self::new(s)
    }
}
