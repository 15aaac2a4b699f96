use super::TopicError;
use crate::string::{as_validated_str, validate};
use crate::version::ProtocolVersion;
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
///
/// The rules of shared subscriptions ([MQTT-4.8.2-1], [MQTT-4.8.2-2]) are
/// 5.0's: [`TopicFilter::new`] applies them, and so does
/// [`TopicFilter::with_version`] for 5.0. In 3.1 and 3.1.1 a filter that
/// starts with `$share/` is an ordinary filter ([MQTT-4.7.1-2, 3.1.1],
/// [MQTT-4.7.1-3, 3.1.1], [MQTT-4.7.3-1, 3.1.1]): `$share/g/` or `$share//`
/// are valid there. One that has the shape `$share/{ShareName}/{filter}`
/// is still read as shared for matching, since many 3.1.1 brokers offer
/// shared subscriptions and deliver their messages by the inner filter.
///
/// ```
/// use mqtt_proto::{ProtocolVersion, TopicFilter};
/// assert!(TopicFilter::new("$share/g/").is_err());
/// let literal = TopicFilter::with_version("$share/g/", ProtocolVersion::V3_1_1).unwrap();
/// assert!(!literal.is_shared());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicFilter {
    bytes: Bytes,
    /// Where the filter that topics are matched against starts: after
    /// `$share/{ShareName}/` for a shared subscription, else 0.
    filter_start: u16,
}

impl TopicFilter {
    /// Validates and wraps a topic filter, with the rules of MQTT 5.0 (a
    /// `$share/` filter must be a well-formed shared subscription).
    pub fn new(s: impl Into<String>) -> Result<Self, TopicError> {
        Self::from_bytes(Bytes::from(s.into()))
    }

    /// Validates and wraps a topic filter with the rules of `version`: in
    /// 3.1 and 3.1.1 the shared-subscription rules do not apply.
    pub fn with_version(
        s: impl Into<String>,
        version: ProtocolVersion,
    ) -> Result<Self, TopicError> {
        Self::from_bytes_with_version(Bytes::from(s.into()), version)
    }

    /// [`TopicFilter::from_bytes`] with the rules of `version`.
    pub fn from_bytes_with_version(
        bytes: Bytes,
        version: ProtocolVersion,
    ) -> Result<Self, TopicError> {
        let filter_start = if version.is_v5() {
            parse(&bytes)?
        } else {
            parse_3x(&bytes)?
        };
        Ok(Self {
            filter_start: filter_start as u16,
            bytes,
        })
    }

    /// Checks that this filter is valid in MQTT 5.0 too: one made for 3.x
    /// may break 5.0's shared-subscription rules.
    pub fn check_v5(&self) -> Result<(), TopicError> {
        if self.is_shared() || !self.bytes.starts_with(SHARE_PREFIX) {
            return Ok(());
        }
        parse(&self.bytes).map(drop)
    }

    /// Validates a static topic filter without copying it.
    pub fn from_static(s: &'static str) -> Result<Self, TopicError> {
        Self::from_bytes(Bytes::from_static(s.as_bytes()))
    }

    /// Validates raw bytes (for example a slice of a received packet) without copying.
    pub fn from_bytes(bytes: Bytes) -> Result<Self, TopicError> {
        let filter_start = parse(&bytes)?;
        Ok(Self {
            // `parse` bounds the length by 65,535, so the start fits.
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
        has_wildcard(self.matching_filter().as_bytes())
    }
}

/// Checks a topic filter and returns where its matching part starts: after
/// `$share/{ShareName}/` for a shared subscription, else 0. Shared with
/// [`topic_matches_sub`](super::topic_matches_sub), which must not allocate.
pub(super) fn parse(bytes: &[u8]) -> Result<usize, TopicError> {
    if bytes.is_empty() {
        return Err(TopicError::Empty);
    }
    validate(bytes)?;
    let filter_start = match bytes.strip_prefix(SHARE_PREFIX) {
        Some(rest) => {
            let Some(name_len) = rest.iter().position(|&b| b == b'/') else {
                // `$share/` alone, or `$share/name` without a filter part.
                return Err(if rest.is_empty() || has_wildcard(rest) {
                    TopicError::InvalidShareName
                } else {
                    TopicError::EmptySharedFilter
                });
            };
            let name = &rest[..name_len];
            if name.is_empty() || has_wildcard(name) {
                return Err(TopicError::InvalidShareName);
            }
            SHARE_PREFIX.len() + name_len + 1
        }
        None => 0,
    };
    let filter = &bytes[filter_start..];
    if filter.is_empty() {
        return Err(TopicError::EmptySharedFilter);
    }
    check_wildcards(filter)?;
    Ok(filter_start)
}

/// [`parse`] with the rules of 3.1 and 3.1.1: a `$share/` filter that is
/// no well-formed shared subscription is an ordinary filter.
fn parse_3x(bytes: &[u8]) -> Result<usize, TopicError> {
    match parse(bytes) {
        Err(TopicError::InvalidShareName | TopicError::EmptySharedFilter) => {
            check_wildcards(bytes)?;
            Ok(0)
        }
        other => other,
    }
}

fn has_wildcard(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| b == b'+' || b == b'#')
}

/// `+` and `#` must fill a whole level; `#` must be the last level.
fn check_wildcards(filter: &[u8]) -> Result<(), TopicError> {
    // One pass that only looks around the (rare) wildcard bytes.
    for (i, &b) in filter.iter().enumerate() {
        if b != b'+' && b != b'#' {
            continue;
        }
        let starts_level = i == 0 || filter[i - 1] == b'/';
        let next = filter.get(i + 1);
        if b == b'#' && (!starts_level || next.is_some()) {
            return Err(TopicError::InvalidMultiLevelWildcard);
        }
        if b == b'+' && (!starts_level || next.is_some_and(|&n| n != b'/')) {
            // A level holding both is reported for its `#`; no `#` came
            // before this `+` in the level, or it would have been reported.
            let rest = &filter[i..];
            let level = &rest[..rest.iter().position(|&c| c == b'/').unwrap_or(rest.len())];
            return Err(if level.contains(&b'#') {
                TopicError::InvalidMultiLevelWildcard
            } else {
                TopicError::InvalidSingleLevelWildcard
            });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::string::StringError;
    use proptest::prelude::*;

    /// The wildcard rules read directly, level by level.
    fn reference_check(filter: &[u8]) -> Result<(), TopicError> {
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

    proptest! {
        #[test]
        fn one_pass_wildcard_check_agrees_with_level_by_level_reference(f in "[a/+#]{0,10}") {
            prop_assert_eq!(check_wildcards(f.as_bytes()), reference_check(f.as_bytes()));
        }
    }

    fn err(s: &str) -> TopicError {
        TopicFilter::new(s).unwrap_err()
    }

    /// [MQTT-4.7.3-1, 3.1.1, 5.0]
    #[test]
    fn mqtt_4_7_3_1_empty_is_rejected() {
        assert_eq!(err(""), TopicError::Empty);
        assert_eq!(
            TopicFilter::from_bytes(Bytes::new()),
            Err(TopicError::Empty)
        );
    }

    /// [MQTT-4.7.1-2, 3.1.1] [MQTT-4.7.1-1, 5.0]
    #[test]
    fn mqtt_4_7_1_multi_level_wildcard_must_be_a_whole_last_level() {
        // 4.7.1.2 examples: "#" and "sport/tennis/#" are valid; "sport/tennis#"
        // and "sport/tennis/#/ranking" are not.
        for ok in ["#", "sport/tennis/#", "/#", "+/#", "a//#"] {
            assert!(TopicFilter::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "sport/tennis#",
            "sport/tennis/#/ranking",
            "#/",
            "##",
            "a/#b",
            "a/b#",
            "#/#",
            "+#",
        ] {
            assert_eq!(err(bad), TopicError::InvalidMultiLevelWildcard, "{bad}");
        }
    }

    /// [MQTT-4.7.1-3, 3.1.1] [MQTT-4.7.1-2, 5.0]
    #[test]
    fn mqtt_4_7_1_single_level_wildcard_must_be_a_whole_level() {
        // 4.7.1.3 examples: "+", "+/tennis/#" and "sport/+/player1" are valid;
        // "sport+" is not.
        for ok in [
            "+",
            "+/tennis/#",
            "sport/+/player1",
            "+/+",
            "/+",
            "+/",
            "a/+/+/b",
        ] {
            assert!(TopicFilter::new(ok).is_ok(), "{ok}");
        }
        for bad in ["sport+", "+a", "a/++", "a/b+/c", "+a/#"] {
            assert_eq!(err(bad), TopicError::InvalidSingleLevelWildcard, "{bad}");
        }
    }

    /// [MQTT-4.7.3-2, MQTT-4.7.3-3, 3.1.1, 5.0], and well-formed UTF-8.
    #[test]
    fn mqtt_4_7_3_2_and_3_string_rules() {
        assert_eq!(err("a/\0"), TopicError::String(StringError::NullCharacter));
        assert!(TopicFilter::new("a".repeat(65_535)).is_ok());
        assert_eq!(
            err(&"a".repeat(65_536)),
            TopicError::String(StringError::TooLong(65_536))
        );
        assert_eq!(
            TopicFilter::from_bytes(Bytes::from_static(b"\xff/#")),
            Err(TopicError::String(StringError::InvalidUtf8))
        );
    }

    #[test]
    fn plain_filters_are_not_shared() {
        for s in [
            "a/b",
            "/",
            "//",
            "$SYS/#",
            "$share",
            "$shared/g/a",
            "a/$share/g/b",
        ] {
            let f = TopicFilter::new(s).unwrap();
            assert!(!f.is_shared(), "{s}");
            assert_eq!(f.share_name(), None);
            assert_eq!(f.matching_filter(), s);
            assert_eq!(f.as_str(), s);
        }
    }

    #[test]
    fn mqtt_4_8_2_shared_subscriptions_are_parsed() {
        let f = TopicFilter::new("$share/consumer1/sport/tennis/+").unwrap();
        assert!(f.is_shared());
        assert_eq!(f.share_name(), Some("consumer1"));
        assert_eq!(f.matching_filter(), "sport/tennis/+");
        assert_eq!(f.as_str(), "$share/consumer1/sport/tennis/+");

        // The inner filter may start with "/" or be "#" or "$share/...".
        let f = TopicFilter::new("$share/consumer2//finance").unwrap();
        assert_eq!(f.matching_filter(), "/finance");
        assert_eq!(
            TopicFilter::new("$share/g/#").unwrap().matching_filter(),
            "#"
        );
        let nested = TopicFilter::new("$share/g/$share/h/x").unwrap();
        assert_eq!(nested.share_name(), Some("g"));
        assert_eq!(nested.matching_filter(), "$share/h/x");
        let unicode = TopicFilter::new("$share/grüppe/a").unwrap();
        assert_eq!(unicode.share_name(), Some("grüppe"));
    }

    /// [MQTT-4.8.2-1, 5.0]
    #[test]
    fn mqtt_4_8_2_1_share_name_is_at_least_one_character() {
        assert_eq!(err("$share/"), TopicError::InvalidShareName);
        assert_eq!(err("$share//a"), TopicError::InvalidShareName);
        assert_eq!(err("$share//"), TopicError::InvalidShareName);
    }

    /// [MQTT-4.8.2-2, 5.0]
    #[test]
    fn mqtt_4_8_2_2_share_name_has_no_wildcards_and_a_filter_follows() {
        for bad in [
            "$share/+/a",
            "$share/#/a",
            "$share/g+/a",
            "$share/g#",
            "$share/+",
        ] {
            assert_eq!(err(bad), TopicError::InvalidShareName, "{bad}");
        }
        assert_eq!(err("$share/g"), TopicError::EmptySharedFilter);
        assert_eq!(err("$share/g/"), TopicError::EmptySharedFilter);
        // The inner filter follows the usual wildcard rules.
        assert_eq!(err("$share/g/a#"), TopicError::InvalidMultiLevelWildcard);
        assert_eq!(err("$share/g/a+"), TopicError::InvalidSingleLevelWildcard);
    }

    #[test]
    fn has_wildcards_looks_at_the_matching_filter() {
        assert!(TopicFilter::new("a/+").unwrap().has_wildcards());
        assert!(TopicFilter::new("#").unwrap().has_wildcards());
        assert!(!TopicFilter::new("a/b").unwrap().has_wildcards());
        assert!(!TopicFilter::new("$share/g/a").unwrap().has_wildcards());
        assert!(TopicFilter::new("$share/g/a/#").unwrap().has_wildcards());
    }

    #[test]
    fn static_and_zero_copy_constructors_agree() {
        let a = TopicFilter::from_static("$share/g/a/+").unwrap();
        let b = TopicFilter::new("$share/g/a/+").unwrap();
        let c: TopicFilter = "$share/g/a/+".parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(a.len(), 12);
        assert_eq!(a.as_bytes(), b"$share/g/a/+");
        assert_eq!(a.to_string(), "$share/g/a/+");
        assert_eq!(format!("{a:?}"), "\"$share/g/a/+\"");
        assert_eq!(
            TopicFilter::try_from(String::from("a/#")).unwrap().as_str(),
            "a/#"
        );
        assert_eq!(
            TopicFilter::try_from("a#"),
            Err(TopicError::InvalidMultiLevelWildcard)
        );
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let msg = err("sport/tennis#").to_string();
        assert!(msg.contains("'#'") && msg.contains("last"), "{msg}");
        let msg = err("sport+").to_string();
        assert!(msg.contains("'+'") && msg.contains("whole"), "{msg}");
        let msg = err("$share//a").to_string();
        assert!(msg.contains("share name"), "{msg}");
        assert!(err("").to_string().contains("empty"));
    }
}
