//! A place in the commit-ordered log.
//!
//! `global_position` alone is not a safe resume point: positions are taken
//! when a row is inserted, but become visible when its transaction commits,
//! so a lower position can appear after a higher one has been read. Ordering
//! by `(tx_id, global_position)` and reading only transactions older than the
//! oldest one still running (see [`crate::reader`]) never skips an event.

use std::fmt;

use serde::{Deserialize, Serialize};

pub use crate::append::parse_xid8;

/// A point in the log: everything at or before it has been seen.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Position {
    /// The writing transaction's id (`xid8`, never wraps).
    pub tx_id: u64,
    /// The event's `global_position`, unique across the store.
    pub global_position: i64,
}

impl Position {
    /// Before the first event.
    pub const START: Self = Self {
        tx_id: 0,
        global_position: 0,
    };

    /// A position from its two parts.
    pub fn new(tx_id: u64, global_position: i64) -> Self {
        Self {
            tx_id,
            global_position,
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.tx_id, self.global_position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_order_by_transaction_first() {
        assert!(Position::new(10, 5) < Position::new(11, 1));
        assert!(Position::new(10, 5) < Position::new(10, 6));
        assert!(Position::START < Position::new(1, 1));
    }
}
