//! The workers' metrics of this crate — saga reactions and timers — through
//! the `metrics` facade: the process's exporter (`bazaar-api`'s
//! `http::metrics`) renders them at `/metrics`; without one they cost a
//! branch. Names and help texts live here, beside the code that counts.

use metrics::{counter, describe_counter, Unit};

/// Reactions of a saga to an event, by outcome.
pub const SAGA_REACTIONS: &str = "bazaar_saga_reactions_total";
/// Timers claimed because they were due.
pub const SCHEDULER_DUE: &str = "bazaar_scheduler_due_total";
/// Timers run, by outcome.
pub const SCHEDULER_FIRED: &str = "bazaar_scheduler_fired_total";
/// Timers given up after every attempt failed.
pub const SCHEDULER_GAVE_UP: &str = "bazaar_scheduler_gave_up_total";

/// Registers the help texts (call once the exporter is installed).
pub fn describe() {
    describe_counter!(
        SAGA_REACTIONS,
        Unit::Count,
        "Reactions of a saga to an event: completed, or failed (retried after a pause)"
    );
    describe_counter!(
        SCHEDULER_DUE,
        Unit::Count,
        "Timers this process claimed because they were due"
    );
    describe_counter!(
        SCHEDULER_FIRED,
        Unit::Count,
        "Timers run: done, rejected (the aggregate refused; closed), failed (retried)"
    );
    describe_counter!(
        SCHEDULER_GAVE_UP,
        Unit::Count,
        "Timers marked failed for an operator after every attempt failed"
    );
}

/// Counts one reaction of `saga`.
pub(crate) fn reaction(saga: &'static str, completed: bool) {
    let outcome = if completed { "completed" } else { "failed" };
    counter!(SAGA_REACTIONS, "saga" => saga, "outcome" => outcome).increment(1);
}

/// Counts `claimed` due timers.
pub(crate) fn due(claimed: usize) {
    counter!(SCHEDULER_DUE).increment(claimed as u64);
}

/// Counts one timer run ending in `outcome`.
pub(crate) fn fired(outcome: &'static str) {
    counter!(SCHEDULER_FIRED, "outcome" => outcome).increment(1);
}

/// Counts timers given up.
pub(crate) fn gave_up(timers: u64) {
    counter!(SCHEDULER_GAVE_UP).increment(timers);
}
