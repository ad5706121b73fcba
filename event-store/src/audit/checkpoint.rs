//! Signed checkpoints: an Ed25519 signature over the heads of every hash
//! chain below a commit horizon, kept outside the database.
//!
//! The hash chains alone show an event changed, removed or reordered
//! *inside* a stream; they cannot show a stream's last events cut off, a
//! whole stream removed, or every hash recomputed after an edit by someone
//! with superuser rights. A checkpoint can: it fixes the set of events of
//! transactions below a horizon (a set later appends never change, see
//! [`crate::reader`]) by the digest of their chain heads
//! ([`crate::verify::heads`]), and is signed only after every one of those chains
//! was recomputed and held.
//!
//! The exact bytes signed are [`Checkpoint::message`]; `docs/audit.md`
//! describes them for third parties.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::error::{AuditError, Result};
use crate::chain::hex;
use crate::verify::heads::{Digested, HeadsDigest};
use crate::verify::{verify, BrokenLink, Scope, Verification};

/// The `format` of checkpoints this code writes and reads.
pub const FORMAT: &str = "bazaar-checkpoint-v1";

/// A signed statement of the store's chain heads at a horizon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Always [`FORMAT`].
    pub format: String,
    /// Which store this is about, chosen by the signer (default: the
    /// database name); printable, one line.
    pub label: String,
    /// The checkpoint covers the events of transactions with ids below this.
    pub horizon_tx_id: u64,
    /// The highest global position among those events (0: none).
    pub global_position: i64,
    /// How many events.
    pub events: u64,
    /// How many streams.
    pub streams: u64,
    /// SHA-256 over the sorted leaves of the stream heads, hex.
    pub heads_digest: String,
    /// When it was signed, RFC 3339 in UTC with microseconds.
    pub signed_at: String,
    /// The signer's public key, 32 bytes, hex (informational: verification
    /// uses a key the verifier trusts).
    pub public_key: String,
    /// Ed25519 signature of [`Checkpoint::message`], base64.
    pub signature: String,
}

/// The outcome of checking a checkpoint against a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreCheck {
    /// Whether the store still has exactly the signed heads.
    pub matches: bool,
    /// What differs (empty when it matches).
    pub differences: Vec<String>,
    /// The first broken link of a chain below the horizon, if any.
    pub broken: Option<BrokenLink>,
    /// Events recomputed below the horizon.
    pub events: u64,
    /// Streams recomputed below the horizon.
    pub streams: u64,
    /// The digest recomputed from the store.
    pub heads_digest: String,
}

/// Everything a verification found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointCheck {
    /// The checkpoint checked.
    pub checkpoint: Checkpoint,
    /// Its signature holds for the trusted key.
    pub signature_valid: bool,
    /// The store comparison, when a database was given.
    pub store: Option<StoreCheck>,
}

impl CheckpointCheck {
    /// Signature valid and, if the store was checked, the store matches.
    pub fn passed(&self) -> bool {
        self.signature_valid && self.store.as_ref().is_none_or(|s| s.matches)
    }
}

impl Checkpoint {
    /// The exact bytes signed: UTF-8 text, one `name=value` line per field
    /// after the format line, each ending in `\n`.
    pub fn message(&self) -> Vec<u8> {
        format!(
            "{}\nlabel={}\nhorizon_tx_id={}\nglobal_position={}\nevents={}\nstreams={}\n\
             heads_digest={}\nsigned_at={}\n",
            self.format,
            self.label,
            self.horizon_tx_id,
            self.global_position,
            self.events,
            self.streams,
            self.heads_digest,
            self.signed_at
        )
        .into_bytes()
    }

    /// Parses a checkpoint file.
    pub fn from_json(text: &str) -> Result<Self> {
        let checkpoint: Self = serde_json::from_str(text).map_err(|e| AuditError::InvalidFile {
            what: "checkpoint",
            reason: e.to_string(),
        })?;
        if checkpoint.format != FORMAT {
            return Err(AuditError::InvalidFile {
                what: "checkpoint",
                reason: format!("format {:?} is not {FORMAT}", checkpoint.format),
            });
        }
        Ok(checkpoint)
    }

    /// Whether the signature over [`Checkpoint::message`] holds for `key`,
    /// the key the verifier trusts. Offline: no database needed.
    pub fn signature_holds(&self, key: &VerifyingKey) -> bool {
        let Ok(bytes) = BASE64.decode(self.signature.trim()) else {
            return false;
        };
        let Ok(signature) = Signature::from_slice(&bytes) else {
            return false;
        };
        self.format == FORMAT
            && one_line(&self.label)
            && key.verify(&self.message(), &signature).is_ok()
    }
}

/// Verifies every chain below the current commit horizon and signs their
/// heads. Refuses ([`AuditError::ChainBroken`]) if any chain does not hold.
pub async fn sign(pool: &PgPool, key: &SigningKey, label: &str) -> Result<Checkpoint> {
    if !one_line(label) || label.is_empty() {
        return Err(AuditError::InvalidRequest(format!(
            "label {label:?} must be one printable line"
        )));
    }
    let horizon = current_horizon(pool).await?;
    let (report, digested) = heads_below(pool, horizon).await?;
    if let Some(link) = report.broken {
        return Err(AuditError::ChainBroken(Box::new(link)));
    }
    let mut checkpoint = Checkpoint {
        format: FORMAT.to_owned(),
        label: label.to_owned(),
        horizon_tx_id: horizon,
        global_position: report.max_global_position,
        events: report.events,
        streams: digested.streams,
        heads_digest: digested.digest,
        signed_at: timestamp(Utc::now()),
        public_key: hex::encode(key.verifying_key().as_bytes()),
        signature: String::new(),
    };
    checkpoint.signature = BASE64.encode(key.sign(&checkpoint.message()).to_bytes());
    Ok(checkpoint)
}

/// Checks the signature with `key` and, given a pool, that the store still
/// has the signed heads at the checkpoint's horizon (events appended since
/// do not matter).
pub async fn check(
    checkpoint: &Checkpoint,
    key: &VerifyingKey,
    pool: Option<&PgPool>,
) -> Result<CheckpointCheck> {
    let store = match pool {
        Some(pool) => Some(check_store(checkpoint, pool).await?),
        None => None,
    };
    Ok(CheckpointCheck {
        checkpoint: checkpoint.clone(),
        signature_valid: checkpoint.signature_holds(key),
        store,
    })
}

async fn check_store(checkpoint: &Checkpoint, pool: &PgPool) -> Result<StoreCheck> {
    let horizon = current_horizon(pool).await?;
    if checkpoint.horizon_tx_id > horizon {
        return Err(AuditError::InvalidRequest(format!(
            "checkpoint horizon {} is ahead of this database's {horizon}: \
             not a checkpoint of this store",
            checkpoint.horizon_tx_id
        )));
    }
    let (report, digested) = heads_below(pool, checkpoint.horizon_tx_id).await?;
    let mut differences = Vec::new();
    let mut compare = |what: &str, signed: String, now: String| {
        if signed != now {
            differences.push(format!("{what}: signed {signed}, store has {now}"));
        }
    };
    compare(
        "events",
        checkpoint.events.to_string(),
        report.events.to_string(),
    );
    compare(
        "streams",
        checkpoint.streams.to_string(),
        digested.streams.to_string(),
    );
    compare(
        "global_position",
        checkpoint.global_position.to_string(),
        report.max_global_position.to_string(),
    );
    compare(
        "heads_digest",
        checkpoint.heads_digest.clone(),
        digested.digest.clone(),
    );
    Ok(StoreCheck {
        matches: differences.is_empty() && report.broken.is_none(),
        differences,
        broken: report.broken,
        events: report.events,
        streams: digested.streams,
        heads_digest: digested.digest,
    })
}

/// Walks every chain of transactions below `horizon`, digesting the heads.
async fn heads_below(pool: &PgPool, horizon: u64) -> Result<(Verification, Digested)> {
    let scope = Scope {
        below_tx: Some(horizon),
        digest_heads: true,
        ..Scope::default()
    };
    let mut report = verify(pool, &scope).await?;
    let digested = report
        .heads
        .take()
        .unwrap_or_else(|| HeadsDigest::default().finish());
    Ok((report, digested))
}

/// The oldest transaction still running: every event below it is committed
/// (or never will be), and every later event has a transaction id at or
/// above it.
async fn current_horizon(pool: &PgPool) -> Result<u64> {
    let horizon: String =
        sqlx::query_scalar("select pg_snapshot_xmin(pg_current_snapshot())::text")
            .fetch_one(pool)
            .await?;
    Ok(crate::position::parse_xid8(&horizon)?)
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn one_line(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

#[cfg(test)]
mod tests;
