//! SUBSCRIBE, UNSUBSCRIBE and the AUTH exchange.

use crate::connection::{PendingRequest, Phase};
use crate::error::{Error, ProtocolError};
use crate::event::Event;
use crate::session::Session;
use mqtt_proto::{
    AckProperties, Auth, AuthProperties, Encodable, PacketId, PacketType, ReasonCode, Subscribe,
    SubscribeProperties, Subscription, TopicFilter, Unsubscribe, UnsubscribeProperties,
};
use std::time::Instant;

impl Session {
    /// Sends SUBSCRIBE for one or more filters; the result per filter
    /// arrives as [`Event::Subscribed`] with the returned packet identifier.
    ///
    /// Refused at once if the server said it does not support wildcard,
    /// shared subscriptions or subscription identifiers and the request
    /// uses them, or the packet exceeds its Maximum Packet Size.
    pub fn subscribe(
        &mut self,
        now: Instant,
        subscriptions: Vec<Subscription>,
        properties: SubscribeProperties,
    ) -> Result<PacketId, Error> {
        if !self.is_connected() {
            return Err(Error::NotConnected);
        }
        for s in &subscriptions {
            if !self.server.wildcard_subscription_available && s.filter.has_wildcards() {
                return Err(Error::WildcardsNotSupported(s.filter.clone()));
            }
            if !self.server.shared_subscription_available && s.filter.is_shared() {
                return Err(Error::SharedSubscriptionsNotSupported(s.filter.clone()));
            }
        }
        if properties.subscription_identifier.is_some()
            && !self.server.subscription_identifiers_available
        {
            return Err(Error::SubscriptionIdentifiersNotSupported);
        }
        let filters = subscriptions.len();
        let packet_id = self.allocate_request_id()?;
        let packet = Subscribe {
            packet_id,
            subscriptions,
            properties,
        };
        self.send_request(now, &packet, PacketType::Subscribe, packet_id, filters)
    }

    /// Sends UNSUBSCRIBE; the result arrives as [`Event::Unsubscribed`].
    pub fn unsubscribe(
        &mut self,
        now: Instant,
        filters: Vec<TopicFilter>,
        properties: UnsubscribeProperties,
    ) -> Result<PacketId, Error> {
        if !self.is_connected() {
            return Err(Error::NotConnected);
        }
        let count = filters.len();
        let packet_id = self.allocate_request_id()?;
        let packet = Unsubscribe {
            packet_id,
            filters,
            properties,
        };
        self.send_request(now, &packet, PacketType::Unsubscribe, packet_id, count)
    }

    fn allocate_request_id(&mut self) -> Result<PacketId, Error> {
        self.allocate_packet_id().ok_or(Error::NoPacketIdAvailable)
    }

    fn send_request<P: Encodable>(
        &mut self,
        now: Instant,
        packet: &P,
        kind: PacketType,
        packet_id: PacketId,
        filters: usize,
    ) -> Result<PacketId, Error> {
        self.send(now, packet).map_err(|e| match e {
            mqtt_proto::EncodeError::PacketTooLarge { size, max } => Error::PacketTooLarge {
                size,
                max: max as u32,
            },
            other => Error::Encode(other),
        })?;
        let conn = self.conn.as_mut().expect("connected");
        conn.requests.push(PendingRequest {
            packet_id,
            kind,
            filters,
        });
        Ok(packet_id)
    }

    pub(crate) fn on_request_ack(
        &mut self,
        kind: PacketType,
        packet_id: PacketId,
        reasons: Vec<ReasonCode>,
        properties: AckProperties,
    ) -> Result<(), ProtocolError> {
        let conn = self.conn.as_mut().expect("connected");
        let expected_kind = if kind == PacketType::SubAck {
            PacketType::Subscribe
        } else {
            PacketType::Unsubscribe
        };
        let Some(i) = conn
            .requests
            .iter()
            .position(|r| r.packet_id == packet_id && r.kind == expected_kind)
        else {
            return Err(ProtocolError::UnexpectedPacket(kind));
        };
        let request = conn.requests.swap_remove(i);
        // 3.x UNSUBACK carries no results.
        let counted = kind == PacketType::SubAck || conn.version.is_v5();
        if counted && reasons.len() != request.filters {
            return Err(ProtocolError::ResultCountMismatch {
                packet: kind,
                got: reasons.len(),
                expected: request.filters,
            });
        }
        self.events.push_back(if kind == PacketType::SubAck {
            Event::Subscribed {
                packet_id,
                reasons,
                properties,
            }
        } else {
            Event::Unsubscribed {
                packet_id,
                reasons,
                properties,
            }
        });
        Ok(())
    }

    /// Continues an enhanced authentication exchange (reason Continue
    /// authentication, after an [`Event::Auth`] while connecting or
    /// re-authenticating) or starts a re-authentication (reason
    /// Re-authenticate, when connected).
    ///
    /// The authentication method is the one of CONNECT: it is filled in if
    /// absent, and a different one is refused [MQTT-4.12.1-1, 5.0]; without one in
    /// CONNECT no AUTH can be sent [MQTT-4.12.0-7, 5.0]. An AUTH larger than the
    /// server's Maximum Packet Size loses its Reason String, then if need be
    /// its User Properties, and goes out without them [MQTT-3.15.2-2,
    /// MQTT-3.15.2-3, 5.0]; only if it still does not fit is it refused with
    /// [`Error::PacketTooLarge`]. A refused call sends nothing.
    pub fn auth(
        &mut self,
        now: Instant,
        reason: ReasonCode,
        mut properties: AuthProperties,
    ) -> Result<(), Error> {
        let conn = self.conn.as_mut().ok_or(Error::NotConnected)?;
        if !conn.version.is_v5() {
            return Err(Error::RequiresV5("AUTH"));
        }
        let method = conn.auth_method.clone().ok_or(Error::AuthNotPossible(
            "CONNECT carried no authentication method",
        ))?;
        match (reason, conn.phase) {
            (ReasonCode::ContinueAuthentication, Phase::Connecting) => {}
            (ReasonCode::ContinueAuthentication, Phase::Connected) if conn.reauthenticating => {}
            (ReasonCode::ContinueAuthentication, Phase::Connected) => {
                return Err(Error::AuthNotPossible(
                    "no authentication exchange is in progress",
                ))
            }
            (ReasonCode::ReAuthenticate, Phase::Connected) => {}
            (ReasonCode::ReAuthenticate, Phase::Connecting) => {
                return Err(Error::AuthNotPossible(
                    "re-authentication needs an accepted connection",
                ))
            }
            _ => {
                return Err(Error::AuthNotPossible(
                    "reason must be Continue authentication or Re-authenticate",
                ))
            }
        }
        match &properties.authentication_method {
            Some(asked) if *asked != method => {
                return Err(Error::AuthNotPossible(
                    "the authentication method differs from the one of CONNECT",
                ))
            }
            Some(_) => {}
            None => properties.authentication_method = Some(method),
        }
        let auth = Auth {
            reason,
            properties: properties.into(),
        };
        self.send_shedding(now, auth)?;
        if reason == ReasonCode::ReAuthenticate {
            if let Some(conn) = self.conn.as_mut() {
                conn.reauthenticating = true;
            }
        }
        Ok(())
    }

    pub(crate) fn on_auth(&mut self, _now: Instant, auth: Auth) -> Result<(), ProtocolError> {
        let conn = self.conn.as_mut().expect("connection open");
        let ours = conn
            .auth_method
            .as_ref()
            .ok_or(ProtocolError::BadAuthentication)?;
        if auth.properties.authentication_method.as_ref() != Some(ours) {
            return Err(ProtocolError::BadAuthentication);
        }
        match (auth.reason, conn.phase) {
            (ReasonCode::ContinueAuthentication, Phase::Connecting) => {}
            (ReasonCode::ContinueAuthentication, Phase::Connected) if conn.reauthenticating => {}
            (ReasonCode::Success, Phase::Connected) if conn.reauthenticating => {
                conn.reauthenticating = false;
            }
            _ => return Err(ProtocolError::UnexpectedPacket(PacketType::Auth)),
        }
        self.events.push_back(Event::Auth {
            reason: auth.reason,
            properties: auth.properties.into_inner(),
        });
        Ok(())
    }
}
