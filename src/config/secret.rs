//! Values that must never reach a log.

use std::fmt;

/// A secret: `Debug` prints a placeholder, and the value is read only through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `presented` is this secret, compared in constant time: the one place a
    /// configured secret (service key, metrics token, webhook or bot secret) is checked.
    pub fn matches(&self, presented: &str) -> bool {
        crate::crypto::constant_time_eq(presented.as_bytes(), self.0.as_bytes())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}
