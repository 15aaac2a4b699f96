//! Topic names, topic filters, and matching one against the other.
//!
//! A [`TopicName`] is what a PUBLISH is sent to; a [`TopicFilter`] is what a
//! SUBSCRIBE asks for, possibly with the `+` and `#` wildcards or as a shared
//! subscription `$share/{ShareName}/{filter}`. Both types can only hold valid
//! values, so code that has one never checks it again.

mod error;
mod filter;
mod name;

pub use error::TopicError;
pub use filter::TopicFilter;
pub use name::TopicName;
