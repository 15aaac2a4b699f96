//! Topic names, topic filters, and matching one against the other.
//!
//! A [`TopicName`] is what a PUBLISH is sent to; a [`TopicFilter`] is what a
//! SUBSCRIBE asks for, possibly with the `+` and `#` wildcards or as a shared
//! subscription `$share/{ShareName}/{filter}`. Both types can only hold valid
//! values, so code that has one never checks it again.
//!
//! [`topic_matches_sub`] and [`TopicFilter::matches`] match one filter against
//! one topic; a [`TopicRouter`] finds every matching filter among many in time
//! that does not grow with their number.

mod error;
mod filter;
mod matching;
mod name;
mod name_ref;
mod router;

pub use error::TopicError;
pub use filter::TopicFilter;
pub use matching::topic_matches_sub;
pub(crate) use name::validate_name;
pub use name::TopicName;
pub use name_ref::TopicNameRef;
pub use router::{Iter, Matches, TopicRouter};
