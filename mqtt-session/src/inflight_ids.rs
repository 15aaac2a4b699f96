//! Which packet identifiers the in-flight messages hold, so that choosing a
//! free one for the next message does not scan the whole window.
//!
//! A publisher with a window of a thousand messages would otherwise compare
//! against every one of them for each new message [MQTT-2.2.1-3]. A small
//! window is still scanned: that is cheaper than keeping 8 KiB per session,
//! which matters when one thread drives thousands of them.

use crate::state::InflightMessage;
use mqtt_proto::PacketId;
use std::collections::VecDeque;

/// Windows at least this long get the bitset.
const BITSET_FROM: usize = 32;

/// One bit per packet identifier (0 is never used).
type Bits = [u64; 1024];

/// An index of the packet identifiers in [`SessionState::inflight`]
/// (crate::SessionState), derived from it: never persisted, rebuilt on demand.
#[derive(Debug, Default)]
pub(crate) struct InflightIds {
    bits: Option<Box<Bits>>,
}

impl InflightIds {
    /// Whether an in-flight message holds `id`.
    pub(crate) fn contains(&mut self, id: PacketId, inflight: &VecDeque<InflightMessage>) -> bool {
        if self.bits.is_none() {
            if inflight.len() < BITSET_FROM {
                return inflight.iter().any(|m| m.packet_id == id);
            }
            let mut bits: Box<Bits> = Box::new([0; 1024]);
            for m in inflight {
                set(&mut bits, m.packet_id, true);
            }
            self.bits = Some(bits);
        }
        let bits = self.bits.as_ref().expect("built above");
        let (word, mask) = position(id);
        let held = bits[word] & mask != 0;
        debug_assert_eq!(held, inflight.iter().any(|m| m.packet_id == id));
        held
    }

    /// `id` was given to a message that just went in flight.
    pub(crate) fn insert(&mut self, id: PacketId) {
        if let Some(bits) = &mut self.bits {
            set(bits, id, true);
        }
    }

    /// The message holding `id` left the window, which now holds `remaining`.
    pub(crate) fn remove(&mut self, id: PacketId, remaining: usize) {
        if remaining == 0 {
            self.bits = None;
        } else if let Some(bits) = &mut self.bits {
            set(bits, id, false);
        }
    }

    /// The window was emptied at once.
    pub(crate) fn clear(&mut self) {
        self.bits = None;
    }
}

fn position(id: PacketId) -> (usize, u64) {
    let n = id.get() as usize;
    (n / 64, 1 << (n % 64))
}

fn set(bits: &mut Bits, id: PacketId, held: bool) {
    let (word, mask) = position(id);
    if held {
        bits[word] |= mask;
    } else {
        bits[word] &= !mask;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::MessageId;
    use crate::state::{OutboundMessage, Stage};
    use mqtt_proto::TopicName;
    use std::time::Instant;

    fn message(id: u16) -> InflightMessage {
        InflightMessage {
            id: MessageId(u64::from(id)),
            packet_id: PacketId::new(id).unwrap(),
            stage: Stage::AwaitingPubAck,
            message: OutboundMessage::new(TopicName::new("t").unwrap(), "x"),
            accepted_at: Instant::now(),
        }
    }

    fn pid(n: u16) -> PacketId {
        PacketId::new(n).unwrap()
    }

    #[test]
    fn agrees_with_a_scan_across_the_threshold_and_back() {
        let mut window = VecDeque::new();
        let mut ids = InflightIds::default();
        for n in 1..=100u16 {
            assert!(!ids.contains(pid(n), &window));
            window.push_back(message(n));
            ids.insert(pid(n));
        }
        assert!(ids.bits.is_some(), "a long window is indexed");
        assert!(ids.contains(pid(1), &window));
        assert!(ids.contains(pid(64), &window));
        assert!(ids.contains(pid(65), &window));
        assert!(!ids.contains(pid(101), &window));
        assert!(!ids.contains(pid(u16::MAX), &window));
        while let Some(m) = window.pop_front() {
            ids.remove(m.packet_id, window.len());
            assert!(!ids.contains(m.packet_id, &window));
        }
        assert!(ids.bits.is_none(), "an empty window frees the index");
    }

    #[test]
    fn a_cleared_window_is_rebuilt_from_the_messages() {
        let mut window: VecDeque<_> = (1000..1100).map(message).collect();
        let mut ids = InflightIds::default();
        assert!(ids.contains(pid(1050), &window));
        window.clear();
        ids.clear();
        window.extend((1..50).map(message));
        assert!(!ids.contains(pid(1050), &window));
        assert!(ids.contains(pid(49), &window));
    }
}
