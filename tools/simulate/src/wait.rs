//! Waiting for what the workers do: the checkout saga reserves stock,
//! opens escrows and books refunds asynchronously, so the simulator reads
//! until the read models show the step it waits for.
//!
//! Reads carry `min_position` where the simulator knows the position of its
//! own write (the query then waits server-side); for the saga's effects,
//! whose positions it cannot know, it polls with a growing pause. Either
//! way the wait is bounded: past the deadline it is a counted failure.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::client::{Api, CallError, Who};
use super::tally::Failure;

/// Polls `path` as `who` until `ready` accepts the body or `timeout` passes.
/// 404 (not there yet) and transient answers mean "not yet"; any other
/// refusal is a failure of step `step` of order `order`.
pub(crate) async fn until(
    api: &Api,
    (who, path): (&Who, &str),
    (order, step): (u64, &str),
    timeout: Duration,
    ready: impl Fn(&Value) -> bool,
) -> Result<Value, Failure> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(25);
    let mut last = Value::Null;
    while started.elapsed() < timeout {
        match api.get(who, path).await {
            Ok(body) if ready(&body) => return Ok(body),
            Ok(body) => last = body,
            Err(CallError::Refused { status: 404, .. }) => {}
            Err(error) => return Err(failure(order, step, &error)),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(500));
    }
    Err(Failure {
        order,
        step: step.to_owned(),
        status: None,
        problem: "timeout".to_owned(),
        detail: format!("{path} not ready after {timeout:?}; last seen: {last}"),
    })
}

/// `error` as the failure of step `step` of order `order`.
pub(crate) fn failure(order: u64, step: &str, error: &CallError) -> Failure {
    Failure {
        order,
        step: step.to_owned(),
        status: error.status(),
        problem: error.problem(),
        detail: error.to_string(),
    }
}
