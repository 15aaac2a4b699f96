//! Matching a topic name against a topic filter (section 4.7 of both the
//! 3.1.1 and the 5.0 specification).

use super::{filter, name, TopicFilter, TopicName};

/// Whether the topic filter `filter` matches the topic name `topic`, with the
/// meaning of Paho's `topic_matches_sub(sub, topic)` (filter first).
///
/// - `+` matches exactly one level, `#` the parent level and any number of
///   child levels: `sport/#` matches `sport`, `sport/` and `sport/a/b`.
/// - A filter starting with a wildcard does not match a topic starting with
///   `$` [MQTT-4.7.2-1]: `#` does not match `$SYS/uptime`.
/// - Levels compare byte for byte, case-sensitively, without normalization
///   [MQTT-4.7.3-4]; empty levels count (`/a` has two levels).
/// - For a shared subscription `$share/{ShareName}/{filter}` the part after
///   the share name is matched, as the server does (section 4.8.2). Paho compares
///   the whole string and so never matches a shared subscription.
///
/// An invalid filter or topic (empty, over 65,535 bytes, containing U+0000,
/// a misplaced wildcard, a wildcard in the topic) matches nothing, so the
/// answer is `false` rather than an error: the question "would a message on
/// this topic reach this subscription" has that answer, since a server refuses
/// both. Paho likewise answers `False` or raises. Parse into [`TopicFilter`] and
/// [`TopicName`] first to learn what is wrong.
///
/// The check does not allocate. To match one topic against many filters, a
/// [`TopicRouter`](super::TopicRouter) is far faster than calling this in a
/// loop.
///
/// ```
/// use mqtt_proto::topic_matches_sub;
/// assert!(topic_matches_sub("sport/tennis/+", "sport/tennis/player1"));
/// assert!(topic_matches_sub("sport/#", "sport"));
/// assert!(!topic_matches_sub("#", "$SYS/broker/uptime"));
/// assert!(topic_matches_sub("$share/group/sport/+", "sport/tennis"));
/// assert!(!topic_matches_sub("sport/tennis#", "sport/tennis#")); // invalid filter
/// ```
pub fn topic_matches_sub(filter: &str, topic: &str) -> bool {
    let Ok(start) = filter::parse(filter.as_bytes()) else {
        return false;
    };
    if name::parse(topic.as_bytes()).is_err() {
        return false;
    }
    matches_valid(&filter.as_bytes()[start..], topic.as_bytes())
}

impl TopicFilter {
    /// Whether this filter matches `topic`; a shared subscription matches
    /// with its [`matching_filter`](Self::matching_filter). See
    /// [`topic_matches_sub`] for the rules.
    ///
    /// ```
    /// use mqtt_proto::{TopicFilter, TopicName};
    /// let filter = TopicFilter::new("$share/g/sensors/+/temp").unwrap();
    /// assert!(filter.matches(&TopicName::new("sensors/kitchen/temp").unwrap()));
    /// assert!(!filter.matches(&TopicName::new("sensors/kitchen/humidity").unwrap()));
    /// ```
    pub fn matches(&self, topic: &TopicName) -> bool {
        matches_valid(self.matching_filter().as_bytes(), topic.as_bytes())
    }
}

/// Matches a valid, non-shared filter against a valid topic name.
///
/// Validity is what makes this simple: a level of the filter that starts
/// with `+` or `#` is that wildcard alone, any other level is literal, and
/// `#` is last. One pass over both, without splitting into levels first.
fn matches_valid(filter: &[u8], topic: &[u8]) -> bool {
    // [MQTT-4.7.2-1]
    if name::is_system_name(topic) && matches!(filter.first(), Some(b'+' | b'#')) {
        return false;
    }
    // `f` and `t` are at the start of a level in each.
    let (mut f, mut t) = (0, 0);
    loop {
        match filter.get(f) {
            Some(b'#') => return true,
            Some(b'+') => {
                f += 1;
                while t < topic.len() && topic[t] != b'/' {
                    t += 1;
                }
            }
            _ => {
                while f < filter.len() && filter[f] != b'/' {
                    if topic.get(t) != Some(&filter[f]) {
                        return false;
                    }
                    f += 1;
                    t += 1;
                }
                if t < topic.len() && topic[t] != b'/' {
                    return false;
                }
            }
        }
        // Both at the end of a level: a `/` or the end.
        match (f < filter.len(), t < topic.len()) {
            (true, true) => {
                f += 1;
                t += 1;
            }
            (false, false) => return true,
            // `#` also matches the parent level: `a/#` matches `a`.
            (true, false) => return &filter[f..] == b"/#",
            (false, true) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The rules read directly: split both into levels and walk them.
    fn reference(filter: &str, topic: &str) -> bool {
        if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
            return false;
        }
        let (mut f, mut t) = (filter.split('/'), topic.split('/'));
        loop {
            match (f.next(), t.next()) {
                (Some("#"), _) => return true,
                (Some("+"), Some(_)) => {}
                (Some(a), Some(b)) if a == b => {}
                (None, None) => return true,
                _ => return false,
            }
        }
    }

    proptest! {
        #[test]
        fn one_pass_matcher_agrees_with_level_by_level_reference(
            f in "[ab$/+#]{1,10}",
            t in "[ab$/]{1,10}",
        ) {
            if let Ok(filter) = TopicFilter::new(f.as_str()) {
                prop_assert_eq!(
                    matches_valid(filter.matching_filter().as_bytes(), t.as_bytes()),
                    reference(filter.matching_filter(), &t)
                );
            }
        }
    }

    #[test]
    fn levels_compare_exactly() {
        // [MQTT-4.7.3-4, 3.1.1, 5.0] no normalization: case, spaces and Unicode forms differ.
        assert!(topic_matches_sub("a/b", "a/b"));
        assert!(!topic_matches_sub("a/b", "a/B"));
        assert!(!topic_matches_sub("a/b", "a/b "));
        // "é" precomposed (U+00E9) vs "e" + combining acute (U+0065 U+0301).
        assert!(!topic_matches_sub("caf\u{e9}", "cafe\u{301}"));
        assert!(topic_matches_sub("caf\u{e9}/+", "caf\u{e9}/x"));
    }

    #[test]
    fn filter_and_topic_level_counts_must_agree() {
        assert!(!topic_matches_sub("a/b", "a"));
        assert!(!topic_matches_sub("a", "a/b"));
        assert!(!topic_matches_sub("a", "a/"));
        assert!(!topic_matches_sub("a/", "a"));
        assert!(topic_matches_sub("a/", "a/"));
        assert!(!topic_matches_sub("+", "a/"));
        assert!(topic_matches_sub("+/", "a/"));
        assert!(topic_matches_sub("+/+", "/"));
        assert!(!topic_matches_sub("+", "/"));
        assert!(topic_matches_sub("/", "/"));
        assert!(topic_matches_sub("//", "//"));
        assert!(!topic_matches_sub("//", "/"));
    }

    #[test]
    fn plus_matches_one_level_including_empty() {
        assert!(topic_matches_sub("a/+/c", "a//c"));
        assert!(topic_matches_sub("+/+/+", "//"));
        assert!(!topic_matches_sub("a/+/c", "a/c"));
        assert!(!topic_matches_sub("a/+/c", "a/b/b/c"));
        assert!(topic_matches_sub("+", "a"));
    }

    #[test]
    fn hash_matches_parent_and_descendants() {
        assert!(topic_matches_sub("a/#", "a"));
        assert!(topic_matches_sub("a/#", "a/"));
        assert!(topic_matches_sub("a/#", "a/b/c/d"));
        assert!(!topic_matches_sub("a/#", "b"));
        assert!(!topic_matches_sub("a/#", "ab"));
        assert!(!topic_matches_sub("a/b/#", "a"));
        assert!(topic_matches_sub("+/#", "a"));
        assert!(topic_matches_sub("#", "/"));
        assert!(topic_matches_sub("/#", "/"));
        assert!(!topic_matches_sub("/#", "a"));
    }

    /// [MQTT-4.7.2-1, 3.1.1, 5.0]
    #[test]
    fn mqtt_4_7_2_1_dollar_topics_need_a_literal_first_level() {
        for filter in ["#", "+", "+/a", "+/#"] {
            assert!(!topic_matches_sub(filter, "$SYS"), "{filter}");
        }
        assert!(!topic_matches_sub("+/a", "$x/a"));
        assert!(topic_matches_sub("$SYS", "$SYS"));
        assert!(topic_matches_sub("$SYS/#", "$SYS"));
        assert!(topic_matches_sub("$SYS/+", "$SYS/a"));
        // Only the first character of the topic counts.
        assert!(topic_matches_sub("+/$x", "a/$x"));
        assert!(topic_matches_sub("#", "a/$x"));
        assert!(topic_matches_sub("+", "a$"));
    }

    #[test]
    fn invalid_inputs_match_nothing() {
        // Invalid filters, each of which would match the topic if read loosely.
        assert!(!topic_matches_sub("", ""));
        assert!(!topic_matches_sub("a#", "a#"));
        assert!(!topic_matches_sub("a/#/b", "a/x/b"));
        assert!(!topic_matches_sub("a+", "a+"));
        assert!(!topic_matches_sub("a\0", "a\0"));
        assert!(!topic_matches_sub("$share/g", "$share/g"));
        assert!(!topic_matches_sub("$share//a", "a"));
        assert!(!topic_matches_sub("$share/g+/a", "a"));
        // Invalid topics.
        assert!(!topic_matches_sub("#", ""));
        assert!(!topic_matches_sub("#", "a/+"));
        assert!(!topic_matches_sub("#", "a/#"));
        assert!(!topic_matches_sub("+", "+"));
        assert!(!topic_matches_sub("#", "a\0"));
        let long = "a".repeat(65_536);
        assert!(!topic_matches_sub("#", &long));
        assert!(!topic_matches_sub(&long, &long));
        assert!(topic_matches_sub("#", &long[1..]));
    }

    #[test]
    fn shared_subscriptions_match_with_their_inner_filter() {
        assert!(topic_matches_sub("$share/g/a/+", "a/b"));
        assert!(topic_matches_sub("$share/g/#", "a/b"));
        assert!(!topic_matches_sub("$share/g/a/+", "$share/g/a/b"));
        // The inner filter starts with a wildcard [MQTT-4.7.2-1, 5.0].
        assert!(!topic_matches_sub("$share/g/#", "$SYS/x"));
        assert!(topic_matches_sub("$share/g/$SYS/#", "$SYS/x"));
        // Without the trailing '/', "$share" is an ordinary first level.
        assert!(topic_matches_sub("$share", "$share"));
        assert!(topic_matches_sub("$shared/g/a", "$shared/g/a"));

        let shared = TopicFilter::new("$share/g/a/#").unwrap();
        assert!(shared.matches(&TopicName::new("a").unwrap()));
        assert!(!shared.matches(&TopicName::new("$share/g/a").unwrap()));
    }

    #[test]
    fn typed_matches_agrees_with_free_function() {
        let filters = [
            "a/+",
            "#",
            "+/#",
            "a/#",
            "$x/#",
            "$share/s/+/b",
            "/+",
            "a//b",
        ];
        let topics = ["a/b", "a", "$x/b", "/b", "a//b", "$x", "b/b"];
        for f in filters {
            let typed = TopicFilter::new(f).unwrap();
            for t in topics {
                let name = TopicName::new(t).unwrap();
                assert_eq!(typed.matches(&name), topic_matches_sub(f, t), "{f} {t}");
            }
        }
    }
}
