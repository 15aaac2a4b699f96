//! A map from topic filters to values, looked up by topic name.

use super::{TopicFilter, TopicName};
use core::fmt;
use core::iter::FusedIterator;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

/// Index of a node in [`TopicRouter::nodes`].
type NodeId = u32;
const ROOT: NodeId = 0;
const NONE: NodeId = NodeId::MAX;

/// How a node hangs off its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edge {
    Root,
    Literal,
    Plus,
    Hash,
}

/// One level of the trie. Literal children are found by hash; the two
/// wildcard children have their own slots so that a lookup tries each of the
/// (at most three) candidate children of a node directly.
#[derive(Clone)]
struct Node<T> {
    parent: NodeId,
    edge: Edge,
    literal: HashMap<Box<[u8]>, NodeId, LevelHash>,
    plus: NodeId,
    hash: NodeId,
    /// The filters that end here, in insertion order. Several only when they
    /// differ in share name: `a/b`, `$share/x/a/b`, `$share/y/a/b`.
    entries: Vec<(TopicFilter, T)>,
}

impl<T> Node<T> {
    fn new(parent: NodeId, edge: Edge) -> Self {
        Self {
            parent,
            edge,
            literal: HashMap::default(),
            plus: NONE,
            hash: NONE,
            entries: Vec::new(),
        }
    }

    fn is_unused(&self) -> bool {
        self.entries.is_empty() && self.literal.is_empty() && self.plus == NONE && self.hash == NONE
    }
}

/// A map from topic filters to values that finds every value whose filter
/// matches a topic name, such as the per-filter message callbacks of Paho's
/// `message_callback_add`.
///
/// Filters match as [`topic_matches_sub`](super::topic_matches_sub)
/// describes; a shared subscription `$share/{ShareName}/{filter}` matches with
/// its inner filter and is still a key of its own, distinct from the plain
/// filter and from other share names.
///
/// ```
/// use mqtt_proto::{TopicFilter, TopicName, TopicRouter};
///
/// let mut router = TopicRouter::new();
/// router.insert(TopicFilter::new("sensors/+/temp").unwrap(), "temperature");
/// router.insert(TopicFilter::new("sensors/#").unwrap(), "all sensors");
/// router.insert(TopicFilter::new("alerts/#").unwrap(), "alerts");
///
/// let topic = TopicName::new("sensors/kitchen/temp").unwrap();
/// let hits: Vec<_> = router.matches(&topic).map(|(_, v)| *v).collect();
/// assert_eq!(hits, ["temperature", "all sensors"]);
/// ```
///
/// # Order of matches
///
/// Matches come in an order fixed by the filters alone, not by the order of
/// insertion: filters compare level by level, and at the first level where
/// two differ a literal level comes before `+`, and `+` before `#`; a filter
/// that ends comes before the same filter continued by `/#`. This is the most
/// specific filter first, and the order of Paho's `MQTTMatcher.iter_match`,
/// which calls the callbacks of `message_callback_add`. Filters
/// that differ only in their `$share/{ShareName}/` prefix come in insertion
/// order.
///
/// # Cost
///
/// A lookup visits only the trie nodes that match a prefix of the topic, so
/// its time does not grow with the number of filters: for a topic of `d`
/// levels, about `d` nodes plus those of the wildcard branches that match a
/// prefix (`2^(d+1)` at the very worst, if every level had both a literal and
/// a `+` branch). The iterator keeps its position in a fixed-size state (a node
/// and a byte offset, walking back up by parent links), so a lookup never
/// allocates, whatever the depth.
#[doc(alias = "MQTTMatcher")]
pub struct TopicRouter<T> {
    /// `nodes[ROOT]` is the root. Nodes freed by `remove` are recycled
    /// through `free` so that ids stay stable and small.
    nodes: Vec<Node<T>>,
    free: Vec<NodeId>,
    len: usize,
}

impl<T> TopicRouter<T> {
    /// An empty router.
    pub fn new() -> Self {
        Self {
            nodes: vec![Node::new(NONE, Edge::Root)],
            free: Vec::new(),
            len: 0,
        }
    }

    /// The number of filters.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no filters.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Removes every filter.
    pub fn clear(&mut self) {
        *self = Self::new();
    }

    /// Associates `value` with `filter`. If the filter was present, its value
    /// is replaced, keeping its position, and the old value returned (one
    /// value per filter, as with Paho's `message_callback_add`).
    pub fn insert(&mut self, filter: TopicFilter, value: T) -> Option<T> {
        let mut node = ROOT;
        for level in filter.matching_filter().as_bytes().split(|&b| b == b'/') {
            node = self.child_or_insert(node, level);
        }
        let entries = &mut self.nodes[node as usize].entries;
        if let Some((_, old)) = entries.iter_mut().find(|(f, _)| *f == filter) {
            return Some(core::mem::replace(old, value));
        }
        entries.push((filter, value));
        self.len += 1;
        None
    }

    /// Removes `filter` and returns its value, if it was present.
    pub fn remove(&mut self, filter: &TopicFilter) -> Option<T> {
        let node = self.find(filter)?;
        let entries = &mut self.nodes[node as usize].entries;
        let index = entries.iter().position(|(f, _)| f == filter)?;
        let (_, value) = entries.remove(index);
        self.len -= 1;
        self.prune(node, filter);
        Some(value)
    }

    /// The value of `filter`, if present.
    pub fn get(&self, filter: &TopicFilter) -> Option<&T> {
        let node = self.find(filter)?;
        let entries = &self.nodes[node as usize].entries;
        entries.iter().find(|(f, _)| f == filter).map(|(_, v)| v)
    }

    /// The value of `filter`, if present, for changing it in place.
    pub fn get_mut(&mut self, filter: &TopicFilter) -> Option<&mut T> {
        let node = self.find(filter)?;
        let entries = &mut self.nodes[node as usize].entries;
        entries
            .iter_mut()
            .find(|(f, _)| f == filter)
            .map(|(_, v)| v)
    }

    /// Whether `filter` is present.
    pub fn contains(&self, filter: &TopicFilter) -> bool {
        self.get(filter).is_some()
    }

    /// Every filter and its value, in an unspecified order.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter {
            nodes: self.nodes.iter(),
            entries: [].iter(),
        }
    }

    /// Every filter matching `topic` with its value, each once, in the order
    /// described [above](Self#order-of-matches). Does not allocate.
    pub fn matches<'r, 't>(&'r self, topic: &'t TopicName) -> Matches<'r, 't, T> {
        Matches {
            nodes: &self.nodes,
            cursor: Cursor::new(topic),
        }
    }

    /// Calls `f` with every filter matching `topic` and its value, which `f`
    /// may change (for example an `FnMut` callback). Same order as
    /// [`matches`](Self::matches); does not allocate.
    pub fn for_each_match_mut(
        &mut self,
        topic: &TopicName,
        mut f: impl FnMut(&TopicFilter, &mut T),
    ) {
        let mut cursor = Cursor::new(topic);
        while let Some((node, index)) = cursor.advance(&self.nodes) {
            let (filter, value) = &mut self.nodes[node as usize].entries[index];
            f(filter, value);
        }
    }

    /// The node where `filter` ends, if it exists.
    fn find(&self, filter: &TopicFilter) -> Option<NodeId> {
        let mut node = ROOT;
        for level in filter.matching_filter().as_bytes().split(|&b| b == b'/') {
            let n = &self.nodes[node as usize];
            node = match level {
                b"+" => n.plus,
                b"#" => n.hash,
                _ => n.literal.get(level).copied().unwrap_or(NONE),
            };
            if node == NONE {
                return None;
            }
        }
        Some(node)
    }

    fn child_or_insert(&mut self, parent: NodeId, level: &[u8]) -> NodeId {
        let p = &self.nodes[parent as usize];
        let (existing, edge) = match level {
            b"+" => (p.plus, Edge::Plus),
            b"#" => (p.hash, Edge::Hash),
            _ => (p.literal.get(level).copied().unwrap_or(NONE), Edge::Literal),
        };
        if existing != NONE {
            return existing;
        }
        let child = self.alloc(Node::new(parent, edge));
        let p = &mut self.nodes[parent as usize];
        match edge {
            Edge::Plus => p.plus = child,
            Edge::Hash => p.hash = child,
            _ => {
                p.literal.insert(level.into(), child);
            }
        }
        child
    }

    fn alloc(&mut self, node: Node<T>) -> NodeId {
        if let Some(id) = self.free.pop() {
            self.nodes[id as usize] = node;
            return id;
        }
        let id = self.nodes.len();
        // Ids are u32 to keep nodes small; NONE is reserved. A router with
        // four billion levels would need hundreds of gigabytes first.
        assert!(id < NONE as usize, "TopicRouter: too many trie nodes");
        self.nodes.push(node);
        id as NodeId
    }

    /// Unlinks and recycles the nodes on the path of `filter`, from `node`
    /// upwards, that no longer lead to any entry.
    fn prune(&mut self, mut node: NodeId, filter: &TopicFilter) {
        let mut levels = filter.matching_filter().as_bytes().rsplit(|&b| b == b'/');
        while node != ROOT && self.nodes[node as usize].is_unused() {
            // `levels` yields the level of each node on the way up.
            let level = levels.next().unwrap_or_default();
            let Node { parent, edge, .. } = self.nodes[node as usize];
            let p = &mut self.nodes[parent as usize];
            match edge {
                Edge::Plus => p.plus = NONE,
                Edge::Hash => p.hash = NONE,
                _ => {
                    p.literal.remove(level);
                    if p.literal.is_empty() {
                        // A trie that shrank should not keep wide tables.
                        p.literal = HashMap::default();
                    }
                }
            }
            self.nodes[node as usize] = Node::new(NONE, Edge::Root);
            self.free.push(node);
            node = parent;
        }
    }
}

impl<T> Default for TopicRouter<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Clone> Clone for TopicRouter<T> {
    fn clone(&self) -> Self {
        Self {
            nodes: self.nodes.clone(),
            free: self.free.clone(),
            len: self.len,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for TopicRouter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<T> Extend<(TopicFilter, T)> for TopicRouter<T> {
    fn extend<I: IntoIterator<Item = (TopicFilter, T)>>(&mut self, iter: I) {
        for (filter, value) in iter {
            self.insert(filter, value);
        }
    }
}

impl<T> FromIterator<(TopicFilter, T)> for TopicRouter<T> {
    fn from_iter<I: IntoIterator<Item = (TopicFilter, T)>>(iter: I) -> Self {
        let mut router = Self::new();
        router.extend(iter);
        router
    }
}

impl<'r, T> IntoIterator for &'r TopicRouter<T> {
    type Item = (&'r TopicFilter, &'r T);
    type IntoIter = Iter<'r, T>;
    fn into_iter(self) -> Iter<'r, T> {
        self.iter()
    }
}

/// Every filter of a [`TopicRouter`] with its value; see [`TopicRouter::iter`].
pub struct Iter<'r, T> {
    nodes: core::slice::Iter<'r, Node<T>>,
    entries: core::slice::Iter<'r, (TopicFilter, T)>,
}

impl<'r, T> Iterator for Iter<'r, T> {
    type Item = (&'r TopicFilter, &'r T);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((f, v)) = self.entries.next() {
                return Some((f, v));
            }
            self.entries = self.nodes.next()?.entries.iter();
        }
    }
}

impl<T> FusedIterator for Iter<'_, T> {}

/// The filters of a [`TopicRouter`] that match a topic, with their values;
/// see [`TopicRouter::matches`].
pub struct Matches<'r, 't, T> {
    nodes: &'r [Node<T>],
    cursor: Cursor<'t>,
}

impl<'r, T> Iterator for Matches<'r, '_, T> {
    type Item = (&'r TopicFilter, &'r T);

    fn next(&mut self) -> Option<Self::Item> {
        let (node, index) = self.cursor.advance(self.nodes)?;
        let (filter, value) = &self.nodes[node as usize].entries[index];
        Some((filter, value))
    }
}

impl<T> FusedIterator for Matches<'_, '_, T> {}

impl<T> fmt::Debug for Matches<'_, '_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Matches")
            .field("topic", &String::from_utf8_lossy(self.cursor.topic))
            .finish_non_exhaustive()
    }
}

/// The hash of the literal-children maps: a multiply-fold hash over 8-byte
/// words with a per-process random seed.
///
/// SipHash, the standard map's default, took a third of the instructions of
/// a lookup, which hashes one short topic level per trie node visited. What
/// SipHash protects against, colliding keys crafted to make a map slow, is out of a remote
/// peer's reach here: the keys are the levels of the application's own
/// filters, and a topic from the network only decides which probe sequence a
/// lookup follows, not how long the stored ones are. The random seed still
/// keeps filter sets that happen to collide from doing so on every run.
#[derive(Clone, Copy, Default)]
struct LevelHash;

/// Multiplier of the fold: odd, with bits spread over the whole word.
const FOLD_MUL: u64 = 0x9E37_79B9_7F4A_7C15;

fn fold_mul(x: u64, y: u64) -> u64 {
    let full = u128::from(x) * u128::from(y);
    (full as u64) ^ ((full >> 64) as u64)
}

impl BuildHasher for LevelHash {
    type Hasher = LevelHasher;

    fn build_hasher(&self) -> LevelHasher {
        static SEED: OnceLock<u64> = OnceLock::new();
        let seed =
            *SEED.get_or_init(|| std::collections::hash_map::RandomState::new().hash_one(0u64));
        LevelHasher(seed)
    }
}

struct LevelHasher(u64);

impl Hasher for LevelHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            self.0 = fold_mul(self.0 ^ word, FOLD_MUL);
        }
        // The last 1 to 7 bytes, read as overlapping pieces rather than
        // copied (a variable-length copy is a call to memcpy); the length,
        // hashed before, tells apart the inputs that overlap alike.
        let rest = chunks.remainder();
        let n = rest.len();
        let word = if n >= 4 {
            let lo = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
            let hi = u32::from_le_bytes([rest[n - 4], rest[n - 3], rest[n - 2], rest[n - 1]]);
            u64::from(lo) | u64::from(hi) << 32
        } else if n > 0 {
            u64::from(rest[0]) | u64::from(rest[n / 2]) << 8 | u64::from(rest[n - 1]) << 16
        } else {
            return;
        };
        self.0 = fold_mul(self.0 ^ word, FOLD_MUL);
    }

    // `[u8]` hashes its length first, which also tells apart keys that
    // differ only by trailing zero bytes in the last word.
    fn write_usize(&mut self, n: usize) {
        self.0 = fold_mul(self.0 ^ n as u64, FOLD_MUL);
    }

    fn finish(&self) -> u64 {
        // hashbrown takes the bucket from the low bits and a tag from the top
        // seven: one more fold spreads every input bit into both.
        fold_mul(self.0, FOLD_MUL ^ 0xFFFF_FFFF_0000_0000)
    }
}

/// Where a depth-first walk of the matching part of the trie stands.
///
/// The recursive walk it replaces is, for a node reached by the first `i`
/// levels of the topic:
///
/// ```text
/// if i == levels { yield node's entries; yield its `#` child's entries }
/// else {
///     walk(literal child for level i, i + 1)
///     walk(`+` child, i + 1)
///     yield `#` child's entries
/// }
/// ```
///
/// with no wildcard children at the root for a `$` topic. Instead of a stack
/// of frames, going back up follows the parent link, and the node's edge says
/// which branch comes next; the byte range of the level is found again by
/// scanning back to the previous `/`. So the state is a few words whatever
/// the depth, and iterating never allocates.
#[derive(Clone, Copy)]
struct Cursor<'t> {
    topic: &'t [u8],
    node: NodeId,
    /// Start of the topic level that `node`'s children consume; past the end
    /// of the topic (`topic.len() + 1`) once every level is consumed.
    start: usize,
    /// End of that level (a `/` or the end); set in `Enter`.
    end: usize,
    phase: Phase,
    /// False for topics starting with `$` [MQTT-4.7.2-1].
    wildcards_at_root: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Just arrived at `node`.
    Enter,
    /// Every level consumed: yielding `node`'s own entries from this index.
    Own(usize),
    /// Back from the literal child (or there was none): try `+`.
    AfterLiteral,
    /// Yielding the `#` child's entries from this index, then returning to
    /// the parent.
    Hash(usize),
    Done,
}

impl<'t> Cursor<'t> {
    fn new(topic: &'t TopicName) -> Self {
        Self {
            topic: topic.as_bytes(),
            node: ROOT,
            start: 0,
            end: 0,
            phase: Phase::Enter,
            wildcards_at_root: !topic.is_system(),
        }
    }

    fn descend(&mut self, child: NodeId) {
        self.node = child;
        self.start = self.end + 1;
        self.phase = Phase::Enter;
    }

    /// Whether `node`'s wildcard children may match here [MQTT-4.7.2-1].
    fn wildcards_allowed(&self) -> bool {
        self.node != ROOT || self.wildcards_at_root
    }

    /// The next matching entry, as (node, index in its entries).
    ///
    /// Each arm does as much of a node's work as it can before looping, so
    /// the loop turns about twice per node visited.
    fn advance<T>(&mut self, nodes: &[Node<T>]) -> Option<(NodeId, usize)> {
        loop {
            let node = &nodes[self.node as usize];
            match self.phase {
                Phase::Enter => {
                    if self.start > self.topic.len() {
                        if !node.entries.is_empty() {
                            self.phase = Phase::Own(1);
                            return Some((self.node, 0));
                        }
                        self.phase = Phase::Hash(0);
                        continue;
                    }
                    let rest = &self.topic[self.start..];
                    self.end =
                        self.start + rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
                    if !node.literal.is_empty() {
                        if let Some(&child) = node.literal.get(&self.topic[self.start..self.end]) {
                            self.descend(child);
                            continue;
                        }
                    }
                    self.try_plus(node);
                }
                Phase::AfterLiteral => self.try_plus(node),
                Phase::Own(index) => {
                    if index < node.entries.len() {
                        self.phase = Phase::Own(index + 1);
                        return Some((self.node, index));
                    }
                    self.phase = Phase::Hash(0);
                }
                Phase::Hash(index) => {
                    if node.hash != NONE
                        && self.wildcards_allowed()
                        && index < nodes[node.hash as usize].entries.len()
                    {
                        self.phase = Phase::Hash(index + 1);
                        return Some((node.hash, index));
                    }
                    if self.node == ROOT {
                        self.phase = Phase::Done;
                        return None;
                    }
                    self.leave(node);
                }
                Phase::Done => return None,
            }
        }
    }

    /// After the literal child: the `+` child, or else the `#` child.
    fn try_plus<T>(&mut self, node: &Node<T>) {
        if node.plus != NONE && self.wildcards_allowed() {
            self.descend(node.plus);
        } else {
            self.phase = Phase::Hash(0);
        }
    }

    /// Back to the parent, to the branch after the one `node` is on.
    fn leave<T>(&mut self, node: &Node<T>) {
        // The parent's level ends at the `/` (or the end) just before this
        // node's level.
        self.end = self.start - 1;
        self.start = self.topic[..self.end]
            .iter()
            .rposition(|&b| b == b'/')
            .map_or(0, |slash| slash + 1);
        self.phase = match node.edge {
            Edge::Literal => Phase::AfterLiteral,
            Edge::Plus => Phase::Hash(0),
            // `#` nodes are never entered and the root has no parent.
            Edge::Hash | Edge::Root => Phase::Done,
        };
        self.node = node.parent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(s: &str) -> TopicFilter {
        TopicFilter::new(s).unwrap()
    }

    fn topic(s: &str) -> TopicName {
        TopicName::new(s).unwrap()
    }

    fn matched<T: Copy>(router: &TopicRouter<T>, t: &str) -> Vec<T> {
        router.matches(&topic(t)).map(|(_, v)| *v).collect()
    }

    /// Nodes in use, the root included.
    fn live_nodes<T>(router: &TopicRouter<T>) -> usize {
        router.nodes.len() - router.free.len()
    }

    #[test]
    fn insert_replaces_and_returns_old_value() {
        let mut r = TopicRouter::new();
        assert_eq!(r.insert(filter("a/+"), 1), None);
        assert_eq!(r.insert(filter("a/#"), 2), None);
        assert_eq!(r.insert(filter("a/+"), 3), Some(1));
        assert_eq!(r.len(), 2);
        assert_eq!(r.get(&filter("a/+")), Some(&3));
        assert_eq!(matched(&r, "a/b"), [3, 2]);
    }

    #[test]
    fn shared_variants_are_distinct_keys_in_insertion_order() {
        let mut r = TopicRouter::new();
        r.insert(filter("$share/y/a/b"), 1);
        r.insert(filter("a/b"), 2);
        r.insert(filter("$share/x/a/b"), 3);
        assert_eq!(r.len(), 3);
        assert_eq!(matched(&r, "a/b"), [1, 2, 3]);
        // Replacing keeps the position.
        assert_eq!(r.insert(filter("a/b"), 20), Some(2));
        assert_eq!(matched(&r, "a/b"), [1, 20, 3]);
        assert_eq!(r.remove(&filter("$share/y/a/b")), Some(1));
        assert_eq!(matched(&r, "a/b"), [20, 3]);
        assert_eq!(r.get(&filter("$share/z/a/b")), None);
    }

    #[test]
    fn remove_prunes_the_trie_and_recycles_nodes() {
        let mut r = TopicRouter::new();
        r.insert(filter("a/b/c/d"), 1);
        r.insert(filter("a/b/+/#"), 2);
        r.insert(filter("a"), 3);
        // root, a, b, c, d, +, #
        assert_eq!(live_nodes(&r), 7);
        assert_eq!(r.remove(&filter("a/b/c/d")), Some(1));
        assert_eq!(live_nodes(&r), 5);
        assert_eq!(r.remove(&filter("a/b/c/d")), None);
        assert_eq!(r.remove(&filter("a/b/+/#")), Some(2));
        // `a` still holds an entry.
        assert_eq!(live_nodes(&r), 2);
        assert_eq!(r.remove(&filter("a")), Some(3));
        assert_eq!(live_nodes(&r), 1);
        assert!(r.is_empty());
        assert!(r.nodes[ROOT as usize].is_unused());
        let arena = r.nodes.len();
        r.insert(filter("x/y/z/w"), 4);
        assert_eq!(r.nodes.len(), arena, "freed nodes are reused");
        assert_eq!(matched(&r, "x/y/z/w"), [4]);
    }

    #[test]
    fn remove_of_absent_filter_leaves_the_trie_alone() {
        let mut r = TopicRouter::new();
        r.insert(filter("a/b"), 1);
        assert_eq!(r.remove(&filter("a")), None);
        assert_eq!(r.remove(&filter("a/b/c")), None);
        assert_eq!(r.remove(&filter("$share/g/a/b")), None);
        assert_eq!(live_nodes(&r), 3);
        assert_eq!(matched(&r, "a/b"), [1]);
    }

    #[test]
    fn order_is_literal_then_plus_then_hash_at_each_level() {
        let mut r = TopicRouter::new();
        // Inserted in reverse of the documented order.
        for (i, f) in ["#", "+/#", "+/b", "a/#", "a/+", "a/b/#", "a/b"]
            .iter()
            .enumerate()
        {
            r.insert(filter(f), i);
        }
        let order: Vec<_> = r.matches(&topic("a/b")).map(|(f, _)| f.as_str()).collect();
        assert_eq!(order, ["a/b", "a/b/#", "a/+", "a/#", "+/b", "+/#", "#"]);
    }

    #[test]
    fn dollar_topic_skips_wildcards_at_root_only() {
        let mut r = TopicRouter::new();
        r.insert(filter("#"), 1);
        r.insert(filter("+/x"), 2);
        r.insert(filter("$s/#"), 3);
        r.insert(filter("$s/+"), 4);
        assert_eq!(matched(&r, "$s/x"), [4, 3]);
        assert_eq!(matched(&r, "a/x"), [2, 1]);
    }

    #[test]
    fn deep_topics_walk_back_up_correctly() {
        let mut r = TopicRouter::new();
        let deep = vec!["l"; 200].join("/");
        r.insert(filter(&deep), 1);
        r.insert(filter(&format!("{deep}/#")), 2);
        let plus = vec!["+"; 200].join("/");
        r.insert(filter(&plus), 3);
        r.insert(filter("l/#"), 4);
        // `l/#` is in the literal branch of the first level, so before `+/+/...`.
        assert_eq!(matched(&r, &deep), [1, 2, 4, 3]);
        assert_eq!(matched(&r, &format!("{deep}/x")), [2, 4]);
    }

    #[test]
    fn empty_levels_are_keys() {
        let mut r = TopicRouter::new();
        r.insert(filter("/"), 1);
        r.insert(filter("+/+"), 2);
        r.insert(filter("a//b"), 3);
        r.insert(filter("a/+/b"), 4);
        assert_eq!(matched(&r, "/"), [1, 2]);
        assert_eq!(matched(&r, "a//b"), [3, 4]);
        assert_eq!(matched(&r, "a/b"), [2]);
    }

    #[test]
    fn iteration_is_fused_and_debug_lists_entries() {
        let mut r = TopicRouter::new();
        r.insert(filter("a"), 1);
        let t = topic("a");
        let mut m = r.matches(&t);
        assert_eq!(m.next().map(|(_, v)| *v), Some(1));
        assert_eq!(m.next(), None);
        assert_eq!(m.next(), None);
        assert_eq!(format!("{r:?}"), r#"{"a": 1}"#);
    }

    #[test]
    fn for_each_match_mut_changes_values() {
        let mut r = TopicRouter::new();
        r.insert(filter("a/+"), 0);
        r.insert(filter("a/#"), 0);
        r.insert(filter("b"), 0);
        for _ in 0..3 {
            r.for_each_match_mut(&topic("a/x"), |_, count| *count += 1);
        }
        assert_eq!(r.get(&filter("a/+")), Some(&3));
        assert_eq!(r.get(&filter("a/#")), Some(&3));
        assert_eq!(r.get(&filter("b")), Some(&0));
        *r.get_mut(&filter("b")).unwrap() = 7;
        assert_eq!(matched(&r, "b"), [7]);
    }

    #[test]
    fn clear_and_collect() {
        let mut r: TopicRouter<i32> = [(filter("a"), 1), (filter("b/#"), 2)].into_iter().collect();
        assert_eq!(r.len(), 2);
        let mut all: Vec<_> = r.iter().map(|(f, v)| (f.as_str(), *v)).collect();
        all.sort();
        assert_eq!(all, [("a", 1), ("b/#", 2)]);
        r.clear();
        assert!(r.is_empty());
        assert_eq!(matched(&r, "a"), Vec::<i32>::new());
    }
}
