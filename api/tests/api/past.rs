//! History made in the past, for the API to act on as it would days later.
//!
//! Some commands succeed only after a deadline: a payment window, the
//! auto-confirmation of a delivery, an escrow's inspection period, a
//! batch's expiry date. The API stamps commands with the time it receives
//! them, so a test arranges the earlier steps straight on the write side
//! (the real executors and event store, with `at` in the past) and then
//! runs the step under test through HTTP.

use bazaar_api::write::position_token;
use bazaar_commands::executor::Executor;
use bazaar_commands::WriteSide;
use bazaar_event_store::{EventMetadata, Notifier};
use chrono::{Duration, SecondsFormat, Utc};
use cqrs_es::Aggregate;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;

/// The write side, used directly.
pub(crate) struct Past {
    write: WriteSide,
}

/// The time `hours` ago, as JSON wants it.
pub(crate) fn hours_ago(hours: i64) -> String {
    (Utc::now() - Duration::hours(hours)).to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Past {
    /// The write side over `pool`, waking the projections after each append.
    pub(crate) fn new(pool: &PgPool) -> Self {
        let notifier = Notifier::new(pool.clone());
        Self {
            write: WriteSide::with_notifier(pool.clone(), notifier),
        }
    }

    /// Runs an order command (the enum as JSON); returns its position.
    pub(crate) async fn order(&self, id: &str, command: Value) -> String {
        run(&self.write.orders, id, command).await
    }

    /// Runs an escrow command; returns its position.
    pub(crate) async fn escrow(&self, id: &str, command: Value) -> String {
        run(&self.write.escrows, id, command).await
    }

    /// Runs a stock command; returns its position.
    pub(crate) async fn stock(&self, id: &str, command: Value) -> String {
        run(&self.write.stock, id, command).await
    }
}

async fn run<A>(executor: &Executor<A>, id: &str, command: Value) -> String
where
    A: Aggregate,
    A::Command: Serialize + DeserializeOwned + Clone,
    A::Error: Serialize + DeserializeOwned,
{
    let typed: A::Command = serde_json::from_value(command.clone())
        .unwrap_or_else(|e| panic!("not a {} command: {e}: {command}", A::TYPE));
    let metadata = EventMetadata::for_command(uuid::Uuid::now_v7(), "admin:test-history");
    let outcome = executor
        .execute(id, typed, &metadata)
        .await
        .unwrap_or_else(|e| panic!("{command} on {id}: {e}"));
    position_token(outcome.last_position.expect("the command wrote events"))
}
