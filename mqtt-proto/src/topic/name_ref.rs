//! A topic name borrowed from received bytes.

use super::name::{is_system_name, validate_name};
use super::{TopicError, TopicName};
use crate::string::as_validated_str;
use bytes::Bytes;
use core::fmt;

/// A topic name borrowed from the input, checked as a [`TopicName`] is
/// (UTF-8, no wildcard, no U+0000, not empty): the topic of a
/// [`PublishView`](crate::PublishView).
///
/// Like [`TopicName`], it keeps the checked bytes and turns them into a
/// `&str` when asked, so decoding does not pay for a conversion that a
/// router matching on bytes never needs.
///
/// ```
/// use mqtt_proto::topic::TopicNameRef;
///
/// let topic = TopicNameRef::new(b"sensors/1").unwrap();
/// assert_eq!(topic, "sensors/1");
/// assert_eq!(topic.to_topic_name().as_str(), "sensors/1");
/// assert!(TopicNameRef::new(b"sensors/+").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicNameRef<'a>(&'a [u8]);

impl<'a> TopicNameRef<'a> {
    /// Checks `bytes` are a topic name and borrows them.
    pub fn new(bytes: &'a [u8]) -> Result<Self, TopicError> {
        validate_name(bytes)?;
        Ok(Self(bytes))
    }

    /// Borrows bytes that [`validate_name`] has accepted.
    #[inline]
    pub(crate) fn from_validated(bytes: &'a [u8]) -> Self {
        debug_assert!(validate_name(bytes).is_ok());
        Self(bytes)
    }

    /// The topic.
    pub fn as_str(&self) -> &'a str {
        as_validated_str(self.0)
    }

    /// The UTF-8 bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// Length in bytes.
    #[allow(clippy::len_without_is_empty)] // never empty by construction
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the topic starts with `$`, as [`TopicName::is_system`].
    pub fn is_system(&self) -> bool {
        is_system_name(self.0)
    }

    /// An owned copy.
    pub fn to_topic_name(&self) -> TopicName {
        TopicName::from_validated(Bytes::copy_from_slice(self.0))
    }
}

impl PartialEq<str> for TopicNameRef<'_> {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for TopicNameRef<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<TopicName> for TopicNameRef<'_> {
    fn eq(&self, other: &TopicName) -> bool {
        self.0 == other.as_bytes()
    }
}

impl fmt::Debug for TopicNameRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for TopicNameRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_a_topic_name_refuses() {
        for bad in [&b""[..], b"a/#", b"a/+/b", b"a\0b", b"\xff"] {
            assert_eq!(
                TopicNameRef::new(bad).map(|t| t.as_bytes()),
                TopicName::from_bytes(Bytes::copy_from_slice(bad)).map(|_| bad),
                "{bad:02x?}"
            );
            assert!(TopicNameRef::new(bad).is_err());
        }
    }

    #[test]
    fn reads_as_the_owned_name() {
        let t = TopicNameRef::new("$SYS/é".as_bytes()).unwrap();
        let owned = t.to_topic_name();
        assert_eq!(t, owned);
        assert_eq!(t.as_str(), owned.as_str());
        assert_eq!(t.len(), owned.len());
        assert!(t.is_system());
        assert_eq!(format!("{t} {t:?}"), "$SYS/é \"$SYS/é\"");
    }
}
