//! Topic matching and the topic router, against the examples and rules of
//! section 4.7 (Topic Names and Topic Filters) of MQTT 3.1.1 and 5.0 and
//! section 4.8.2 (Shared Subscriptions) of MQTT 5.0. Both versions give the
//! same examples; rule numbers differ and are noted as (3.1.1) / (5.0).

use mqtt_proto::{topic_matches_sub, TopicError, TopicFilter, TopicName, TopicRouter};
use proptest::prelude::*;

fn filter(s: &str) -> TopicFilter {
    TopicFilter::new(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn topic(s: &str) -> TopicName {
    TopicName::new(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// Checks one (filter, topic) pair through every entry point: the free
/// function, the typed method, and a router holding that filter alone.
fn assert_match(f: &str, t: &str, expected: bool) {
    assert_eq!(
        topic_matches_sub(f, t),
        expected,
        "topic_matches_sub({f:?}, {t:?})"
    );
    let (typed_filter, typed_topic) = (filter(f), topic(t));
    assert_eq!(
        typed_filter.matches(&typed_topic),
        expected,
        "{f:?}.matches({t:?})"
    );
    let mut router = TopicRouter::new();
    router.insert(typed_filter, ());
    assert_eq!(
        router.matches(&typed_topic).count(),
        usize::from(expected),
        "router {f:?} {t:?}"
    );
}

// --- 4.7.1.2 Multi-level wildcard -------------------------------------------

#[test]
fn spec_4_7_1_2_multi_level_wildcard_examples() {
    // "if a Client subscribes to "sport/tennis/player1/#", it would receive
    // messages published using these topic names"
    for t in [
        "sport/tennis/player1",
        "sport/tennis/player1/ranking",
        "sport/tennis/player1/score/wimbledon",
    ] {
        assert_match("sport/tennis/player1/#", t, true);
    }
    // "sport/#" also matches the singular "sport", since # includes the parent level.
    assert_match("sport/#", "sport", true);
    // "#" is valid and will receive every Application Message.
    for t in [
        "sport",
        "sport/tennis/player1",
        "/",
        "//",
        "/finance",
        "a b",
    ] {
        assert_match("#", t, true);
    }
    // Not a descendant of the parent level.
    assert_match("sport/tennis/player1/#", "sport/tennis/player2", false);
    assert_match("sport/tennis/player1/#", "sport/tennis", false);
    assert_match("sport/#", "sports", false);
}

#[test]
fn spec_4_7_1_2_multi_level_wildcard_validity() {
    // [MQTT-4.7.1-2, 3.1.1] [MQTT-4.7.1-1, 5.0]
    assert!(TopicFilter::new("#").is_ok());
    assert!(TopicFilter::new("sport/tennis/#").is_ok());
    assert_eq!(
        TopicFilter::new("sport/tennis#"),
        Err(TopicError::InvalidMultiLevelWildcard)
    );
    assert_eq!(
        TopicFilter::new("sport/tennis/#/ranking"),
        Err(TopicError::InvalidMultiLevelWildcard)
    );
    // An invalid filter matches nothing, even the literally equal topic... which
    // is itself invalid as a topic name.
    assert!(!topic_matches_sub("sport/tennis#", "sport/tennis"));
    assert!(!topic_matches_sub(
        "sport/tennis/#/ranking",
        "sport/tennis/x/ranking"
    ));
}

// --- 4.7.1.3 Single-level wildcard ------------------------------------------

#[test]
fn spec_4_7_1_3_single_level_wildcard_examples() {
    // "sport/tennis/+" matches "sport/tennis/player1" and "sport/tennis/player2",
    // but not "sport/tennis/player1/ranking".
    assert_match("sport/tennis/+", "sport/tennis/player1", true);
    assert_match("sport/tennis/+", "sport/tennis/player2", true);
    assert_match("sport/tennis/+", "sport/tennis/player1/ranking", false);
    // "sport/+" does not match "sport" but it does match "sport/".
    assert_match("sport/+", "sport", false);
    assert_match("sport/+", "sport/", true);
    // "/finance" matches "+/+" and "/+", but not "+".
    assert_match("+/+", "/finance", true);
    assert_match("/+", "/finance", true);
    assert_match("+", "/finance", false);
    // "+/tennis/#" and "sport/+/player1" are valid; they match as they read.
    assert_match("+/tennis/#", "sport/tennis", true);
    assert_match("+/tennis/#", "sport/tennis/player1/ranking", true);
    assert_match("+/tennis/#", "sport/golf", false);
    assert_match("sport/+/player1", "sport/tennis/player1", true);
    assert_match("sport/+/player1", "sport//player1", true);
    assert_match("sport/+/player1", "sport/player1", false);
}

#[test]
fn spec_4_7_1_3_single_level_wildcard_validity() {
    // [MQTT-4.7.1-3, 3.1.1] [MQTT-4.7.1-2, 5.0]
    for ok in ["+", "+/tennis/#", "sport/+/player1"] {
        assert!(TopicFilter::new(ok).is_ok(), "{ok}");
    }
    assert_eq!(
        TopicFilter::new("sport+"),
        Err(TopicError::InvalidSingleLevelWildcard)
    );
    assert!(!topic_matches_sub("sport+", "sport"));
}

// --- 4.7.1.1 / 4.7.3 Separators and topic semantics --------------------------

#[test]
fn spec_4_7_1_1_adjacent_separators_make_zero_length_levels() {
    assert_match("a//b", "a//b", true);
    assert_match("a//b", "a/b", false);
    assert_match("a/+/b", "a//b", true);
    assert_match("+/+/+", "//", true);
    assert_match("+/+", "//", false);
}

#[test]
fn spec_4_7_3_topic_semantics() {
    // [MQTT-4.7.3-1, 3.1.1, 5.0] at least one character.
    assert_eq!(TopicName::new(""), Err(TopicError::Empty));
    assert_eq!(TopicFilter::new(""), Err(TopicError::Empty));
    // Case sensitive: "ACCOUNTS" and "Accounts" are two different topic names.
    assert_match("ACCOUNTS", "Accounts", false);
    assert_match("ACCOUNTS", "ACCOUNTS", true);
    // "Accounts payable" is a valid topic name (spaces allowed).
    assert_match("Accounts payable", "Accounts payable", true);
    assert_match("Accounts payable", "Accounts", false);
    // "/finance" is different from "finance".
    assert_match("finance", "/finance", false);
    assert_match("/finance", "finance", false);
    // A topic name or filter of "/" alone is valid.
    assert_match("/", "/", true);
    assert_match("/", "finance", false);
    // [MQTT-4.7.3-2, MQTT-4.7.3-3, 3.1.1, 5.0]: no U+0000, at most 65,535 bytes.
    assert!(TopicName::new("a\0").is_err());
    assert!(TopicFilter::new("a\0").is_err());
    assert!(!topic_matches_sub("a\0", "a\0"));
    let max = "x".repeat(65_535);
    assert_match(&max, &max, true);
    let over = "x".repeat(65_536);
    assert!(TopicName::new(over.clone()).is_err());
    assert!(!topic_matches_sub(&over, &over));
}

/// [MQTT-4.7.3-4, 3.1.1, 5.0]: matching compares levels as they are.
#[test]
fn mqtt_4_7_3_4_no_normalization() {
    // Precomposed "é" and "e" + combining accent are different levels.
    assert_match("caf\u{e9}", "cafe\u{301}", false);
    assert_match("caf\u{e9}/+", "caf\u{e9}/x", true);
    // No trimming, no case folding, no Unicode case folding.
    assert_match("a", " a", false);
    assert_match("straße", "STRASSE", false);
}

#[test]
fn wildcards_are_rejected_in_topic_names() {
    // [MQTT-3.3.2-2, 3.1.1, 5.0] [MQTT-4.7.1-1, 3.1.1] [MQTT-4.7.0-1, 5.0]
    for t in ["sport/+", "sport/#", "+", "#", "a+b"] {
        assert_eq!(TopicName::new(t), Err(TopicError::WildcardInName), "{t}");
        assert!(!topic_matches_sub("#", t), "{t}");
    }
}

// --- 4.7.2 Topics beginning with $ ------------------------------------------

/// [MQTT-4.7.2-1, 3.1.1, 5.0], with the examples of section 4.7.2.
#[test]
fn mqtt_4_7_2_1_wildcard_first_level_does_not_match_dollar_topics() {
    // A subscription to "#" will not receive any messages published to a
    // topic beginning with a $.
    for t in ["$SYS", "$SYS/monitor/Clients", "$", "$/x", "$share/g/a"] {
        assert_match("#", t, false);
    }
    // A subscription to "+/monitor/Clients" will not receive any messages
    // published to "$SYS/monitor/Clients".
    assert_match("+/monitor/Clients", "$SYS/monitor/Clients", false);
    assert_match("+/monitor/Clients", "SYS/monitor/Clients", true);
    assert_match("+/#", "$SYS/monitor/Clients", false);
    assert_match("+", "$SYS", false);
    // A subscription to "$SYS/#" will receive messages published to topics
    // beginning with "$SYS/".
    assert_match("$SYS/#", "$SYS/monitor/Clients", true);
    assert_match("$SYS/#", "$SYS/", true);
    assert_match("$SYS/#", "$SYS", true);
    // A subscription to "$SYS/monitor/+" will receive messages published to
    // "$SYS/monitor/Clients".
    assert_match("$SYS/monitor/+", "$SYS/monitor/Clients", true);
    // Only the first level is special: "$" further on is an ordinary character.
    assert_match("#", "a/$SYS", true);
    assert_match("+/$SYS", "a/$SYS", true);
    assert_match("#", "a$", true);
}

/// [MQTT-4.7.2-1, 3.1.1, 5.0] in the router.
#[test]
fn mqtt_4_7_2_1_both_hash_and_dollar_sys_are_needed_for_everything() {
    // "For a Client to receive messages from topics that begin with $SYS/ and
    // from topics that don't begin with a $, it has to subscribe to both "#"
    // and "$SYS/#"."
    let mut router = TopicRouter::new();
    router.insert(filter("#"), "all");
    assert_eq!(router.matches(&topic("$SYS/uptime")).count(), 0);
    router.insert(filter("$SYS/#"), "sys");
    let hits = |t: &str| {
        router
            .matches(&topic(t))
            .map(|(_, v)| *v)
            .collect::<Vec<_>>()
    };
    assert_eq!(hits("$SYS/uptime"), ["sys"]);
    assert_eq!(hits("sensors/1"), ["all"]);
    // Neither covers another "$" prefix.
    assert_eq!(hits("$other/x"), Vec::<&str>::new());
}

// --- 4.8.2 Shared subscriptions (5.0) ---------------------------------------

#[test]
fn mqtt_4_8_2_shared_subscriptions_match_like_their_filter() {
    // "$share/consumer1/sport/tennis/+" and "$share/consumer2/sport/tennis/+"
    // are different shared subscriptions ... both match the same topics as a
    // non-shared subscription to sport/tennis/+.
    for f in [
        "$share/consumer1/sport/tennis/+",
        "$share/consumer2/sport/tennis/+",
        "sport/tennis/+",
    ] {
        assert_match(f, "sport/tennis/player1", true);
        assert_match(f, "sport/tennis", false);
    }
    // "$share/consumer1//finance" matches the same topics as "/finance".
    assert_match("$share/consumer1//finance", "/finance", true);
    assert_match("$share/consumer1//finance", "finance", false);
    // "The $share and {ShareName} portions of the Topic Filter are not taken
    // into account when matching against publications."
    assert_match(
        "$share/consumer1/sport/#",
        "$share/consumer1/sport/x",
        false,
    );
    // So [MQTT-4.7.2-1, 5.0] applies to the inner filter.
    assert_match("$share/g/#", "$SYS/x", false);
    assert_match("$share/g/$SYS/#", "$SYS/x", true);
}

/// [MQTT-4.8.2-1, MQTT-4.8.2-2, 5.0]: a non-empty share name without
/// wildcards or `/`, then `/` and a filter.
#[test]
fn mqtt_4_8_2_1_and_2_share_name_rules() {
    assert_eq!(
        TopicFilter::new("$share//a"),
        Err(TopicError::InvalidShareName)
    );
    assert_eq!(
        TopicFilter::new("$share/a+/b"),
        Err(TopicError::InvalidShareName)
    );
    assert_eq!(
        TopicFilter::new("$share/a#/b"),
        Err(TopicError::InvalidShareName)
    );
    assert_eq!(
        TopicFilter::new("$share/a"),
        Err(TopicError::EmptySharedFilter)
    );
    assert_eq!(
        TopicFilter::new("$share/a/"),
        Err(TopicError::EmptySharedFilter)
    );
    for bad in ["$share//a", "$share/a+/b", "$share/a", "$share/a/"] {
        assert!(!topic_matches_sub(bad, "a"), "{bad}");
        assert!(!topic_matches_sub(bad, "b"), "{bad}");
    }
}

#[test]
fn router_keeps_shared_and_plain_subscriptions_apart() {
    let mut router = TopicRouter::new();
    router.insert(filter("$share/consumer1/sport/tennis/+"), 1);
    router.insert(filter("$share/consumer2/sport/tennis/+"), 2);
    router.insert(filter("sport/tennis/+"), 3);
    router.insert(filter("$share/consumer1//finance"), 4);
    assert_eq!(router.len(), 4);
    let hits: Vec<_> = router
        .matches(&topic("sport/tennis/player1"))
        .map(|(f, v)| (f.as_str(), *v))
        .collect();
    assert_eq!(
        hits,
        [
            ("$share/consumer1/sport/tennis/+", 1),
            ("$share/consumer2/sport/tennis/+", 2),
            ("sport/tennis/+", 3),
        ]
    );
    assert_eq!(
        router.remove(&filter("$share/consumer2/sport/tennis/+")),
        Some(2)
    );
    assert_eq!(router.matches(&topic("sport/tennis/player1")).count(), 2);
    assert_eq!(
        router
            .matches(&topic("/finance"))
            .map(|(_, v)| *v)
            .collect::<Vec<_>>(),
        [4]
    );
}

// --- Router as Paho's message_callback_add / message_callback_remove --------

#[test]
fn router_as_per_filter_callbacks() {
    type Callback = Box<dyn FnMut(&str) -> String>;
    let mut callbacks: TopicRouter<Callback> = TopicRouter::new();
    let mut calls = 0;
    // message_callback_add: one callback per filter, re-adding replaces.
    callbacks.insert(filter("sensors/+/temp"), Box::new(|t| format!("old {t}")));
    let old = callbacks.insert(filter("sensors/+/temp"), Box::new(|t| format!("temp {t}")));
    assert!(old.is_some());
    callbacks.insert(filter("sensors/#"), Box::new(|t| format!("any {t}")));
    let mut out = Vec::new();
    callbacks.for_each_match_mut(&topic("sensors/kitchen/temp"), |_, cb| {
        calls += 1;
        out.push(cb("sensors/kitchen/temp"));
    });
    assert_eq!(calls, 2);
    assert_eq!(
        out,
        ["temp sensors/kitchen/temp", "any sensors/kitchen/temp"]
    );
    // message_callback_remove.
    assert!(callbacks.remove(&filter("sensors/#")).is_some());
    assert!(callbacks.remove(&filter("sensors/#")).is_none());
    assert_eq!(callbacks.matches(&topic("sensors/kitchen/temp")).count(), 1);
    assert_eq!(callbacks.matches(&topic("sensors/kitchen")).count(), 0);
}

#[test]
fn router_overlapping_filters_each_match_once_most_specific_first() {
    let filters = [
        "#", "a/#", "a/b/#", "a/b/c", "a/b/c/#", "a/+/c", "+/b/c", "+/+/+", "+/#", "a/+/#",
        "a/b/+", "a/b/c/d", "b/#",
    ];
    let mut router = TopicRouter::new();
    for (i, f) in filters.iter().enumerate() {
        router.insert(filter(f), i);
    }
    let got: Vec<&str> = router
        .matches(&topic("a/b/c"))
        .map(|(f, _)| f.as_str())
        .collect();
    // Level by level: literal before "+" before "#"; an ending filter before
    // the same filter followed by "/#".
    assert_eq!(
        got,
        [
            "a/b/c", "a/b/c/#", "a/b/+", "a/b/#", "a/+/c", "a/+/#", "a/#", "+/b/c", "+/+/+", "+/#",
            "#"
        ]
    );
}

// --- Router equals the naive loop (property test) ---------------------------

/// Levels from a small alphabet so that filters and topics often match:
/// a literal, another literal, a `$` level and the empty level.
fn topic_level() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("a"), Just("b"), Just("$x"), Just("")]
}

fn filter_level() -> impl Strategy<Value = &'static str> {
    prop_oneof![3 => topic_level(), 1 => Just("+")]
}

fn topic_string() -> impl Strategy<Value = String> {
    proptest::collection::vec(topic_level(), 1..=4).prop_map(|levels| levels.join("/"))
}

fn filter_string() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(filter_level(), 0..=4),
        any::<bool>(),
        prop_oneof![3 => Just(""), 1 => Just("$share/g/"), 1 => Just("$share/h/")],
    )
        .prop_map(|(mut levels, hash, share)| {
            if hash || levels.is_empty() {
                levels.push("#");
            }
            format!("{share}{}", levels.join("/"))
        })
}

/// The documented order: per level literal < `+` < `#`, a shorter filter
/// before a longer one with the same prefix, then insertion order.
fn order_key(f: &TopicFilter, inserted: usize) -> (Vec<u8>, usize) {
    let kinds = f
        .matching_filter()
        .split('/')
        .map(|level| match level {
            "+" => 1,
            "#" => 2,
            _ => 0,
        })
        .collect();
    (kinds, inserted)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn router_returns_what_the_naive_loop_returns(
        filters in proptest::collection::vec(filter_string(), 0..40),
        removals in proptest::collection::vec(any::<prop::sample::Index>(), 0..10),
        topics in proptest::collection::vec(topic_string(), 1..20),
    ) {
        let mut router = TopicRouter::new();
        // Reference: the (filter, value) pairs in first-insertion order.
        let mut reference: Vec<(TopicFilter, usize)> = Vec::new();
        for (value, f) in filters.iter().enumerate() {
            let Ok(f) = TopicFilter::new(f.as_str()) else { continue };
            let old = router.insert(f.clone(), value);
            match reference.iter_mut().find(|(g, _)| *g == f) {
                Some((_, v)) => prop_assert_eq!(old, Some(std::mem::replace(v, value))),
                None => {
                    prop_assert_eq!(old, None);
                    reference.push((f, value));
                }
            }
        }
        for index in removals {
            if reference.is_empty() {
                break;
            }
            let (f, v) = reference.remove(index.index(reference.len()));
            prop_assert_eq!(router.remove(&f), Some(v));
            prop_assert_eq!(router.remove(&f), None);
        }
        prop_assert_eq!(router.len(), reference.len());

        for t in &topics {
            let Ok(name) = TopicName::new(t.as_str()) else { continue };
            let mut expected: Vec<(usize, &TopicFilter, usize)> = reference
                .iter()
                .enumerate()
                .filter(|(_, (f, _))| topic_matches_sub(f.as_str(), t))
                .map(|(i, (f, v))| (i, f, *v))
                .collect();
            expected.sort_by_key(|(i, f, _)| order_key(f, *i));
            let expected: Vec<(&TopicFilter, usize)> =
                expected.into_iter().map(|(_, f, v)| (f, v)).collect();
            let got: Vec<(&TopicFilter, usize)> =
                router.matches(&name).map(|(f, v)| (f, *v)).collect();
            prop_assert_eq!(&got, &expected, "topic {:?}", t);

            // The typed method agrees with the free function.
            for (f, _) in &reference {
                prop_assert_eq!(f.matches(&name), topic_matches_sub(f.as_str(), t));
            }
        }
    }

    #[test]
    fn free_function_never_panics_and_rejects_what_the_types_reject(
        f in "[ab/+#$\\x00]{0,8}|\\$share/[ab+/]{0,3}/[ab/+#]{0,4}",
        t in "[ab/+#$\\x00]{0,8}",
    ) {
        let valid = TopicFilter::new(f.as_str()).is_ok() && TopicName::new(t.as_str()).is_ok();
        if !valid {
            prop_assert!(!topic_matches_sub(&f, &t));
        } else {
            prop_assert_eq!(
                topic_matches_sub(&f, &t),
                TopicFilter::new(f.as_str()).unwrap().matches(&TopicName::new(t.as_str()).unwrap())
            );
        }
    }
}

// --- No allocation during lookup ---------------------------------------------

mod counting_allocator {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    /// Counts allocations made by the current thread while armed, so that
    /// tests running in parallel on other threads do not disturb the count.
    pub struct Counting;

    thread_local! {
        static ARMED: Cell<bool> = const { Cell::new(false) };
        static COUNT: Cell<usize> = const { Cell::new(0) };
    }

    fn record() {
        if ARMED.try_with(Cell::get).unwrap_or(false) {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
    }

    // SAFETY: every call is forwarded unchanged to the system allocator.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            record();
            unsafe { System.alloc(layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            record();
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            record();
            unsafe { System.realloc(ptr, layout, new_size) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    /// The number of allocations `f` makes on this thread.
    pub fn allocations<R>(f: impl FnOnce() -> R) -> (usize, R) {
        COUNT.with(|c| c.set(0));
        ARMED.with(|a| a.set(true));
        let result = f();
        ARMED.with(|a| a.set(false));
        (COUNT.with(Cell::get), result)
    }
}

#[global_allocator]
static ALLOCATOR: counting_allocator::Counting = counting_allocator::Counting;

#[test]
fn router_lookup_does_not_allocate() {
    use counting_allocator::allocations;

    // The counter sees allocations, so a zero below means something.
    let (n, v) = allocations(|| vec![1u8; 16]);
    assert_eq!((n, v.len()), (1, 16));

    let mut router = TopicRouter::new();
    for r in 0..20 {
        for d in 0..50 {
            router.insert(filter(&format!("region/{r}/device/{d}/+")), r * 100 + d);
            router.insert(filter(&format!("region/{r}/device/+/{d}")), r * 100 + d);
        }
        router.insert(filter(&format!("region/{r}/#")), r);
    }
    router.insert(filter("#"), 0);
    router.insert(filter("+/+/device/#"), 0);
    router.insert(filter("$share/g/region/+/device/7/temp"), 0);
    // A deep topic, so that any per-level stack would have to grow.
    let deep = format!("region/3/device/7/temp{}", "/x".repeat(500));
    router.insert(filter(&format!("{deep}/#")), 1);
    let topics = [
        topic("region/3/device/7/temp"),
        topic(&deep),
        topic("$SYS/x"),
        topic("nowhere"),
    ];

    let (n, counts) = allocations(|| {
        let mut counts = [0usize; 4];
        let mut sum = 0usize;
        for (count, t) in counts.iter_mut().zip(&topics) {
            for (f, v) in router.matches(t) {
                *count += 1;
                sum = sum.wrapping_add(*v).wrapping_add(f.len());
            }
        }
        std::hint::black_box(sum);
        counts
    });
    assert_eq!(n, 0, "lookup allocated {n} times");
    // region/3/device/7/+, region/3/device/+/7 is not a match (7 vs temp);
    // region/3/#, #, +/+/device/#, the shared one. The deep topic: region/3/#,
    // #, +/+/device/# and its own parent-matching `#` filter.
    assert_eq!(counts, [5, 4, 0, 1]);

    let (n, ()) = allocations(|| {
        router.for_each_match_mut(&topics[0], |_, v| *v += 1);
    });
    assert_eq!(n, 0, "for_each_match_mut allocated {n} times");
}
