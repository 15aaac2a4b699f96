// The guide to session stores (docs/sessions.md), whose Rust blocks are
// this crate's doctests, so the page's code compiles as shown.
#![doc(alias = "persistence")]
#![doc(alias = "MQTTClient_persistence")]
#![doc(alias = "session_dir")]
#![doc = include_str!("../../docs/sessions.md")]
