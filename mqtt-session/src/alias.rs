//! Topic aliases (5.0): resolving the server's, and choosing our own.
//!
//! Both maps live for one connection; aliases are never carried over
//! [MQTT-3.3.2-7].

use crate::error::ProtocolError;
use mqtt_proto::{Publish, TopicName};
use std::collections::{BTreeMap, HashMap};

/// The server's aliases, up to the Topic Alias Maximum we advertised.
#[derive(Debug, Default)]
pub(crate) struct InboundAliases {
    maximum: u16,
    topics: HashMap<u16, TopicName>,
}

impl InboundAliases {
    pub fn new(maximum: u16) -> Self {
        Self {
            maximum,
            topics: HashMap::new(),
        }
    }

    /// Records or applies the alias of an inbound PUBLISH, so that its topic is always set.
    pub fn resolve(&mut self, publish: &mut Publish) -> Result<(), ProtocolError> {
        let Some(alias) = publish.properties.topic_alias else {
            return Ok(());
        };
        let alias = alias.get();
        if alias > self.maximum {
            return Err(ProtocolError::TopicAliasOutOfRange(alias));
        }
        match &publish.topic {
            Some(topic) => {
                self.topics.insert(alias, topic.clone());
            }
            None => {
                let topic = self
                    .topics
                    .get(&alias)
                    .ok_or(ProtocolError::UnknownTopicAlias(alias))?;
                publish.topic = Some(topic.clone());
            }
        }
        Ok(())
    }
}

/// What to put in an outbound PUBLISH for its topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AliasUse {
    /// No alias: send the topic.
    None,
    /// Send the topic and this alias, which it now stands for.
    Define(u16),
    /// Send only this alias.
    Reuse(u16),
}

/// Our aliases, assigned to topics least-recently-used first within the
/// server's Topic Alias Maximum.
#[derive(Debug, Default)]
pub(crate) struct OutboundAliases {
    maximum: u16,
    tick: u64,
    by_topic: HashMap<TopicName, (u16, u64)>,
    by_age: BTreeMap<u64, TopicName>,
}

impl OutboundAliases {
    pub fn new(maximum: u16) -> Self {
        Self {
            maximum,
            ..Self::default()
        }
    }

    /// The alias to use for `topic`, assigning or reassigning one as needed.
    pub fn assign(&mut self, topic: &TopicName) -> AliasUse {
        if self.maximum == 0 {
            return AliasUse::None;
        }
        self.tick += 1;
        let tick = self.tick;
        if let Some((alias, last)) = self.by_topic.get_mut(topic) {
            self.by_age.remove(last);
            *last = tick;
            self.by_age.insert(tick, topic.clone());
            return AliasUse::Reuse(*alias);
        }
        let alias = if self.by_topic.len() < self.maximum as usize {
            self.by_topic.len() as u16 + 1
        } else {
            // Full: the least recently used topic gives up its alias.
            let (_, oldest) = self.by_age.pop_first().expect("full map has entries");
            self.by_topic.remove(&oldest).expect("maps agree").0
        };
        self.by_topic.insert(topic.clone(), (alias, tick));
        self.by_age.insert(tick, topic.clone());
        AliasUse::Define(alias)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> TopicName {
        TopicName::new(s).unwrap()
    }

    #[test]
    fn lru_reassigns_least_recently_used() {
        let mut a = OutboundAliases::new(2);
        assert_eq!(a.assign(&t("a")), AliasUse::Define(1));
        assert_eq!(a.assign(&t("b")), AliasUse::Define(2));
        assert_eq!(a.assign(&t("a")), AliasUse::Reuse(1));
        // "b" is now least recently used.
        assert_eq!(a.assign(&t("c")), AliasUse::Define(2));
        assert_eq!(a.assign(&t("a")), AliasUse::Reuse(1));
        assert_eq!(a.assign(&t("b")), AliasUse::Define(2));
    }

    #[test]
    fn zero_maximum_never_aliases() {
        let mut a = OutboundAliases::new(0);
        assert_eq!(a.assign(&t("a")), AliasUse::None);
    }
}
