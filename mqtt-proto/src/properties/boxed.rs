//! [`PropertyBox`]: a property set on the heap, allocated only when a
//! packet carries properties.

use core::fmt;
use core::ops::{Deref, DerefMut};

/// A property set with an empty value that can be borrowed for `'static`.
pub trait PropertySet: Default + PartialEq + fmt::Debug + 'static {
    /// The set with no property.
    const EMPTY: &'static Self;

    /// Whether no property is set.
    fn is_empty(&self) -> bool;
}

/// A property set kept on the heap, and only once a property is set.
///
/// Most packets carry no property at all, and a packet that holds its
/// (large) property struct inline costs a copy of it at every move: on the
/// decode path that was the biggest cost of a small PUBLISH. Reading an
/// unallocated box sees the empty set; the first mutable access allocates.
///
/// ```
/// use mqtt_proto::properties::PropertyBox;
/// use mqtt_proto::PublishProperties;
/// let mut p: PropertyBox<PublishProperties> = PropertyBox::default();
/// assert!(p.is_empty() && !p.is_allocated());
/// p.message_expiry_interval = Some(60);
/// assert!(p.is_allocated());
/// assert_eq!(p, PropertyBox::from(PublishProperties {
///     message_expiry_interval: Some(60),
///     ..Default::default()
/// }));
/// ```
#[derive(Clone)]
pub struct PropertyBox<T: PropertySet>(Option<Box<T>>);

impl<T: PropertySet> PropertyBox<T> {
    /// No property, nothing allocated.
    pub const fn new() -> Self {
        Self(None)
    }

    /// `set` as it is, already on the heap; unallocated if it is empty.
    pub(crate) fn from_box(set: Box<T>) -> Self {
        if set.is_empty() {
            Self(None)
        } else {
            Self(Some(set))
        }
    }

    /// Whether memory is held (a set that was written to, even if emptied since).
    pub fn is_allocated(&self) -> bool {
        self.0.is_some()
    }

    /// Whether no property is set: true without reading the set when no
    /// memory is held, which is the common case.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0.as_deref().is_none_or(T::is_empty)
    }

    /// The set if memory is held; `None` means no property, which lets
    /// the encoder skip walking an empty set.
    pub fn allocated(&self) -> Option<&T> {
        self.0.as_deref()
    }

    /// Sets the property `field` selects to `value` and returns the one it
    /// had, allocating only when needed: an unallocated box stays so when
    /// `value` is the empty value (`None`), which is what it already holds.
    ///
    /// ```
    /// use mqtt_proto::properties::PropertyBox;
    /// use mqtt_proto::PublishProperties;
    /// let mut p: PropertyBox<PublishProperties> = PropertyBox::new();
    /// assert_eq!(p.replace(|p| &mut p.topic_alias, None), None);
    /// assert!(!p.is_allocated());
    /// p.replace(|p| &mut p.message_expiry_interval, Some(60));
    /// assert_eq!(p.message_expiry_interval, Some(60));
    /// ```
    #[inline]
    pub fn replace<V: Default + PartialEq>(
        &mut self,
        field: impl FnOnce(&mut T) -> &mut V,
        value: V,
    ) -> V {
        match &mut self.0 {
            Some(set) => core::mem::replace(field(set), value),
            // The empty set holds the empty value of every property.
            None if value == V::default() => V::default(),
            None => core::mem::replace(field(&mut **self), value),
        }
    }

    /// The properties, moved out of the box.
    pub fn into_inner(self) -> T {
        self.0.map(|b| *b).unwrap_or_default()
    }

    /// Takes the properties, leaving none.
    pub fn take(&mut self) -> T {
        core::mem::take(self).into_inner()
    }
}

impl<T: PropertySet> Default for PropertyBox<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: PropertySet> From<T> for PropertyBox<T> {
    /// Allocates only if `set` holds a property.
    fn from(set: T) -> Self {
        if set.is_empty() {
            Self(None)
        } else {
            Self(Some(Box::new(set)))
        }
    }
}

impl<T: PropertySet> Deref for PropertyBox<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.as_deref().unwrap_or(T::EMPTY)
    }
}

impl<T: PropertySet> DerefMut for PropertyBox<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.get_or_insert_with(Box::default)
    }
}

/// Equal when the properties are, allocated or not.
impl<T: PropertySet> PartialEq for PropertyBox<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: PropertySet + Eq> Eq for PropertyBox<T> {}

impl<T: PropertySet> fmt::Debug for PropertyBox<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PublishProperties;

    #[test]
    fn reads_do_not_allocate_and_equality_ignores_allocation() {
        let mut a: PropertyBox<PublishProperties> = PropertyBox::new();
        assert_eq!(a.topic_alias, None);
        assert!(!a.is_allocated());
        let b = PropertyBox::from(PublishProperties::default());
        assert!(!b.is_allocated());
        a.topic_alias = None; // a write allocates, even of nothing
        assert!(a.is_allocated());
        assert_eq!(a, b);
        a.message_expiry_interval = Some(5);
        assert_ne!(a, b);
        assert_eq!(a.take().message_expiry_interval, Some(5));
        assert!(!a.is_allocated());
    }
}
