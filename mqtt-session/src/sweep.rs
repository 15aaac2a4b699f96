//! Taking over a session the server holds and this client does not know
//! ([`crate::UnknownSessionPolicy::Adopt`]).
//!
//! The server may hold, awaiting PUBREL, the packet identifiers of QoS 2
//! messages an earlier run of this client sent. A new message reusing one
//! would be taken for a duplicate, acknowledged and dropped. Before
//! anything else goes out, the client sends a PUBREL for every identifier
//! it does not hold itself: the server releases what it held (delivering
//! the earlier run's message, which that run meant to publish) and answers
//! every PUBREL with PUBCOMP, known identifier or not. A byte stream keeps
//! order, so no later PUBLISH can reach the server before the PUBREL that
//! frees its identifier.
//!
//! The PUBCOMPs come back in the same order, before the answers to
//! anything sent after them; the sweep takes them by counting. Until the
//! last one arrives the session does not count as known
//! ([`crate::SessionState::has_connected`] stays false, also in a store),
//! so a connection lost midway sweeps again on the next.

use crate::durable::StoreOp;
use crate::event::Event;
use crate::session::Session;
use mqtt_proto::{Ack, Packet, PacketId};
use std::time::Instant;

/// A release sweep in progress on one connection.
#[derive(Debug)]
pub(crate) struct Sweep {
    /// The identifier whose PUBCOMP comes next.
    next: u32,
    /// Identifiers this client held when the sweep began, in ascending
    /// order: they are its own, resent as usual, and not swept.
    skip: Vec<u16>,
}

impl Sweep {
    /// The first swept identifier at or after `from`, if any is left.
    fn advance(&self, mut from: u32) -> u32 {
        while from <= u16::MAX as u32 && self.skip.binary_search(&(from as u16)).is_ok() {
            from += 1;
        }
        from
    }
}

impl Session {
    /// Reports the adopted session and queues a PUBREL for every
    /// identifier this client does not hold.
    pub(crate) fn start_release_sweep(&mut self, now: Instant) {
        self.events.push_back(Event::SessionAdopted);
        let mut skip: Vec<u16> = self
            .state
            .inflight
            .iter()
            .map(|m| m.packet_id.get())
            .chain(self.state.orphan_pubrels.iter().map(|p| p.get()))
            .collect();
        skip.sort_unstable();
        skip.dedup();
        let mut sweep = Sweep { next: 1, skip };
        sweep.next = sweep.advance(1);
        let mut id = sweep.next;
        while id <= u16::MAX as u32 {
            let packet_id = PacketId::new(id as u16).expect("from 1");
            self.send_required(now, &Packet::PubRel(Ack::new(packet_id)));
            id = sweep.advance(id + 1);
        }
        if let Some(conn) = self.conn.as_mut() {
            conn.sweep = Some(sweep);
        }
    }

    /// Takes a PUBCOMP that answers the sweep; whether it did.
    pub(crate) fn on_sweep_pubcomp(&mut self, packet_id: PacketId) -> bool {
        let Some(conn) = self.conn.as_mut() else {
            return false;
        };
        let Some(sweep) = conn.sweep.as_mut() else {
            return false;
        };
        if sweep.next != packet_id.get() as u32 {
            return false;
        }
        sweep.next = sweep.advance(sweep.next + 1);
        if sweep.next > u16::MAX as u32 {
            conn.sweep = None;
            self.state.has_connected = true;
            self.state.resume_unconfirmed = false;
            self.journal(StoreOp::Connected {
                assigned_client_id: self.state.assigned_client_id.clone(),
            });
        }
        true
    }
}
