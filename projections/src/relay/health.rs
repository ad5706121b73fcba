//! What the relay tells `/health/ready`: `off` (no `KAFKA_BROKERS`: nothing
//! to check, the API stays ready), `down` (this process relays and Kafka
//! fails: not ready), `lagging` (the next event to publish waits longer
//! than [`LAGGING_AFTER`]; still ready: it is catching up, or another
//! process relays and is slow), or `ok`.
//!
//! Only the elected relay knows whether Kafka answers; the lag is read from
//! the shared checkpoint, so a standby process still reports `lagging` when
//! the relay elsewhere falls behind.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bazaar_event_store::load_checkpoint;
use serde::Serialize;
use sqlx::PgPool;

use super::SUBSCRIPTION;

/// How long the next event may wait to be published before the relay is
/// reported `lagging`.
pub const LAGGING_AFTER: Duration = Duration::from_secs(30);

/// The relay's state in this process, shared with the health check.
#[derive(Debug, Clone)]
pub struct RelayHealth(Arc<Mutex<State>>);

#[cfg_attr(not(feature = "kafka"), allow(dead_code))]
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Off,
    Starting,
    Standby,
    Up,
    Down(String),
}

/// The relay's part of the readiness report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RelayStatus {
    /// Publishing, or standing by, and caught up.
    Ok,
    /// Behind by more than [`LAGGING_AFTER`].
    Lagging,
    /// This process relays and Kafka fails.
    Down,
    /// Not configured.
    Off,
}

/// The relay check of `/health/ready`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelayCheck {
    /// The verdict.
    pub status: RelayStatus,
    /// Age of the next event to publish, in seconds (0 when caught up).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_seconds: Option<f64>,
    /// The last failure, while `down`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RelayCheck {
    /// Whether the relay lets the process be ready: all but `down`.
    pub fn is_ready(&self) -> bool {
        self.status != RelayStatus::Down
    }
}

impl RelayHealth {
    /// No relay in this process (Kafka not configured).
    pub fn off() -> Self {
        Self(Arc::new(Mutex::new(State::Off)))
    }

    /// A relay that has not started yet.
    pub fn on() -> Self {
        Self(Arc::new(Mutex::new(State::Starting)))
    }

    #[cfg_attr(not(feature = "kafka"), allow(dead_code))]
    fn set(&self, state: State) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = state;
    }

    fn get(&self) -> State {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    #[cfg_attr(not(feature = "kafka"), allow(dead_code))]
    pub(crate) fn set_standby(&self) {
        self.set(State::Standby);
    }

    #[cfg_attr(not(feature = "kafka"), allow(dead_code))]
    pub(crate) fn set_up(&self) {
        self.set(State::Up);
    }

    #[cfg_attr(not(feature = "kafka"), allow(dead_code))]
    pub(crate) fn set_down(&self, error: &impl ToString) {
        self.set(State::Down(error.to_string()));
    }

    /// Whether this process has found Kafka failing and not since working.
    pub fn is_down(&self) -> bool {
        matches!(self.get(), State::Down(_))
    }

    /// The readiness verdict: the state here, and the lag from the database.
    pub async fn check(&self, pool: &PgPool) -> RelayCheck {
        if self.get() == State::Off {
            return self.verdict(None);
        }
        let lag = lag_seconds(pool)
            .await
            .inspect_err(|error| tracing::warn!(%error, "readiness: relay lag unknown"))
            .ok();
        self.verdict(lag)
    }

    /// The verdict from this process's state and `lag` (if known).
    pub fn verdict(&self, lag: Option<f64>) -> RelayCheck {
        let state = self.get();
        let status = match (&state, lag) {
            (State::Off, _) => RelayStatus::Off,
            (State::Down(_), _) => RelayStatus::Down,
            (_, Some(lag)) if lag > LAGGING_AFTER.as_secs_f64() => RelayStatus::Lagging,
            _ => RelayStatus::Ok,
        };
        let error = match state {
            State::Down(error) => Some(error),
            _ => None,
        };
        RelayCheck {
            status,
            lag_seconds: lag.filter(|_| status != RelayStatus::Off),
            error,
        }
    }
}

/// Age in seconds of the next event the relay has to publish (0 if none).
pub async fn lag_seconds(pool: &PgPool) -> Result<f64, bazaar_event_store::Error> {
    let at = load_checkpoint(pool, SUBSCRIPTION).await?;
    let age: Option<f64> = sqlx::query_scalar(
        "select extract(epoch from clock_timestamp() - recorded_at)::float8 from events \
          where (tx_id, global_position) > ($1::text::xid8, $2) \
          order by tx_id, global_position limit 1",
    )
    .bind(at.tx_id.to_string())
    .bind(at.global_position)
    .fetch_optional(pool)
    .await
    .map_err(bazaar_event_store::Error::from)?;
    Ok(age.unwrap_or(0.0).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(health: &RelayHealth, lag: Option<f64>) -> RelayStatus {
        health.verdict(lag).status
    }

    #[test]
    fn a_relay_that_is_not_configured_is_off_whatever_the_lag() {
        assert_eq!(status(&RelayHealth::off(), Some(3_600.0)), RelayStatus::Off);
        assert!(RelayHealth::off().verdict(None).is_ready());
    }

    #[test]
    fn a_relay_behind_by_more_than_the_threshold_is_lagging_but_ready() {
        let health = RelayHealth::on();
        health.set_up();
        let check = health.verdict(Some(LAGGING_AFTER.as_secs_f64() + 1.0));
        assert_eq!(check.status, RelayStatus::Lagging);
        assert!(check.is_ready());
        assert_eq!(status(&health, Some(1.0)), RelayStatus::Ok);
    }

    #[test]
    fn a_relay_that_cannot_reach_kafka_is_down_and_not_ready_until_it_delivers() {
        let health = RelayHealth::on();
        health.set_down(&"no broker answers");
        let check = health.verdict(Some(0.0));
        assert_eq!(check.status, RelayStatus::Down);
        assert_eq!(check.error.as_deref(), Some("no broker answers"));
        assert!(!check.is_ready());
        health.set_up();
        assert_eq!(status(&health, Some(0.0)), RelayStatus::Ok);
    }

    #[test]
    fn a_standby_relay_reports_the_shared_lag() {
        let health = RelayHealth::on();
        health.set_standby();
        assert_eq!(status(&health, Some(0.5)), RelayStatus::Ok);
        assert_eq!(status(&health, Some(120.0)), RelayStatus::Lagging);
    }
}
