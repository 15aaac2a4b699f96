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

use crate::connection::Sweep;
use crate::durable::StoreOp;
use crate::event::Event;
use crate::session::Session;
use mqtt_proto::{Ack, Packet, PacketId};
use std::time::Instant;

impl Session {
    /// Reports the adopted session and queues a PUBREL for every
    /// identifier this client does not hold.
    pub(crate) fn start_release_sweep(&mut self, now: Instant) {
        self.events.push_back(Event::SessionAdopted);
        let skip: Vec<u16> = self
            .state
            .inflight
            .iter()
            .map(|m| m.packet_id.get())
            .chain(self.state.orphan_pubrels.iter().map(|p| p.get()))
            .collect();
        let sweep = Sweep::new(skip);
        for packet_id in sweep.remaining() {
            self.send_required(now, &Packet::PubRel(Ack::new(packet_id)));
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
        match sweep.take(packet_id) {
            None => false,
            Some(false) => true,
            Some(true) => {
                // The last PUBCOMP: the session is this client's now.
                conn.sweep = None;
                self.state.has_connected = true;
                self.state.resume_unconfirmed = false;
                self.journal(StoreOp::Connected {
                    assigned_client_id: self.state.assigned_client_id.clone(),
                });
                true
            }
        }
    }
}
