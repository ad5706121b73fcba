//! What every step of a simulated order needs: the API, the run's tag for
//! idempotency keys, and waiting until the order reaches a status. Shared
//! by [`scenario`](super::scenario) (up to payment) and
//! [`fulfil`](super::fulfil) (after it), which otherwise do not know each
//! other's steps.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::client::{Api, Who};
use super::tally::Failure;
use super::wait;

/// What every step of an order needs.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// The API.
    pub(crate) api: Arc<Api>,
    /// The run's tag, first part of every idempotency key.
    pub(crate) run: String,
    /// Longest wait for one asynchronous step.
    pub(crate) step_timeout: Duration,
}

impl Ctx {
    /// POSTs one step of order `n` as `who`.
    pub(crate) async fn post(
        &self,
        (who, path, body): (&Who, &str, Value),
        (n, step): (u64, &str),
    ) -> Result<Value, Failure> {
        let key = format!("{}-o{n}-{step}", self.run);
        self.api
            .post(who, path, &body, &key)
            .await
            .map_err(|e| wait::failure(n, step, &e))
    }

    /// Waits until order `order` (read as `who`) is in one of `statuses`.
    pub(crate) async fn order_in(
        &self,
        (n, who): (u64, &Who),
        (order, position): (&str, &str),
        statuses: &[&str],
    ) -> Result<Value, Failure> {
        let path = format!("/v1/orders/{order}?min_position={position}");
        let step = format!("wait {}", statuses.join("|"));
        wait::until(
            &self.api,
            (who, &path),
            (n, &step),
            self.step_timeout,
            |d| statuses.iter().any(|s| d["order"]["status"] == *s),
        )
        .await
    }
}
