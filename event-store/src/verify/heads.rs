//! The heads of the store's hash chains below a commit horizon, and one
//! digest over all of them.
//!
//! A stream's head is its last event: sequence and hash. Because each hash
//! covers its predecessor's, the heads commit to every event below the
//! horizon; the digest commits to the set of heads, so a signature over it
//! proves every event, and the absence of any other event, at that point.
//!
//! The digest must not depend on the database's collation or on the order
//! the walk happens to visit streams, so it is defined over sorted leaves:
//!
//! ```text
//! leaf   = SHA-256( aggregate_type ‖ 0x00 ‖ aggregate_id ‖ 0x00 ‖ decimal(sequence) ‖ 0x00 ‖ hash )
//! digest = SHA-256( leaf₁ ‖ leaf₂ ‖ … ‖ leafₙ )   with the leaves sorted bytewise ascending
//! ```
//!
//! Names are UTF-8 (Postgres text never holds a 0x00 byte, so the
//! separators are unambiguous), `decimal(sequence)` is ASCII without
//! leading zeros, `hash` the 32 raw bytes. An empty store's digest is
//! SHA-256 of nothing.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::chain::hex;
use crate::chain::GENESIS;

/// The last event of one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamHead {
    /// The stream's aggregate type.
    pub aggregate_type: String,
    /// The stream's aggregate id.
    pub aggregate_id: String,
    /// The last event's sequence.
    pub sequence: i64,
    /// The last event's hash.
    pub hash: [u8; 32],
}

impl StreamHead {
    /// Before the stream's first event.
    pub(crate) fn genesis(aggregate_type: &str, aggregate_id: &str) -> Self {
        Self {
            aggregate_type: aggregate_type.to_owned(),
            aggregate_id: aggregate_id.to_owned(),
            sequence: 0,
            hash: GENESIS,
        }
    }

    /// Whether this is the head of that stream.
    pub(crate) fn is_of(&self, aggregate_type: &str, aggregate_id: &str) -> bool {
        self.aggregate_id == aggregate_id && self.aggregate_type == aggregate_type
    }

    /// The head's leaf in the digest (see the module docs).
    pub fn leaf(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.aggregate_type.as_bytes());
        hasher.update([0]);
        hasher.update(self.aggregate_id.as_bytes());
        hasher.update([0]);
        hasher.update(self.sequence.to_string().as_bytes());
        hasher.update([0]);
        hasher.update(self.hash);
        hasher.finalize().into()
    }
}

/// Collects the heads' leaves; [`HeadsDigest::finish`] sorts and hashes them.
#[derive(Debug, Clone, Default)]
pub struct HeadsDigest {
    leaves: Vec<[u8; 32]>,
}

/// The digest of a set of heads, with how many there were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digested {
    /// Streams (heads) covered.
    pub streams: u64,
    /// SHA-256 over the sorted leaves, hex.
    pub digest: String,
}

impl HeadsDigest {
    /// Adds one stream's head.
    pub fn add(&mut self, head: &StreamHead) {
        self.leaves.push(head.leaf());
    }

    /// Adds every head `other` collected.
    pub fn extend(&mut self, other: HeadsDigest) {
        self.leaves.extend(other.leaves);
    }

    /// The digest of every head added.
    pub fn finish(mut self) -> Digested {
        self.leaves.sort_unstable();
        let mut hasher = Sha256::new();
        for leaf in &self.leaves {
            hasher.update(leaf);
        }
        Digested {
            streams: self.leaves.len() as u64,
            digest: hex::encode(&hasher.finalize()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(aggregate_id: &str, sequence: i64) -> StreamHead {
        StreamHead {
            aggregate_type: "Order".into(),
            aggregate_id: aggregate_id.into(),
            sequence,
            hash: [7; 32],
        }
    }

    fn digest(heads: &[StreamHead]) -> Digested {
        let mut digest = HeadsDigest::default();
        heads.iter().for_each(|h| digest.add(h));
        digest.finish()
    }

    #[test]
    fn the_digest_ignores_visiting_order_but_not_content() {
        let a = digest(&[head("o-1", 3), head("o-2", 1)]);
        assert_eq!(a, digest(&[head("o-2", 1), head("o-1", 3)]));
        assert_eq!(a.streams, 2);
        assert_ne!(a, digest(&[head("o-1", 3), head("o-2", 2)]));
        assert_ne!(a, digest(&[head("o-1", 3)]));
    }

    #[test]
    fn the_leaf_is_the_documented_byte_string() {
        let expected: [u8; 32] =
            Sha256::digest([b"Order\x00o-1\x0012\x00".as_slice(), [7; 32].as_slice()].concat())
                .into();
        assert_eq!(head("o-1", 12).leaf(), expected);
        assert_eq!(
            digest(&[]).digest,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
