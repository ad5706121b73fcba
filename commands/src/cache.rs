//! Aggregates kept in memory between commands, so a command on a warm
//! aggregate decides without reading its stream.
//!
//! An entry is the aggregate with the stream sequence it reflects. It is
//! taken out while a command runs on it (the executor's per-aggregate lock
//! makes that the only user in this process) and put back only when the
//! command's outcome is known to match it: its events committed, or the
//! stream was still at its sequence when a no-event outcome was logged. A
//! rejection, a conflict or any error drops it, and the next command
//! reloads from the store. Another process may have written meanwhile:
//! then the decision made on the stale entry is refused by the database
//! (the stream's sequence key for an append, the sequence check of
//! `log_unwritten_at` otherwise) and the command reloads and decides again.
//!
//! The bound is two generations: new entries go into the young one; when
//! it is full it becomes the old one (the previous old one is dropped), so
//! the cache never holds more than its capacity and keeps what is in use.

use std::collections::HashMap;
use std::sync::Mutex;

use cqrs_es::persist::EventStoreAggregateContext;
use cqrs_es::Aggregate;

/// An aggregate with the sequence it reflects.
pub(crate) type Context<A> = EventStoreAggregateContext<A>;

/// A bounded map of aggregate id to [`Context`].
pub(crate) struct AggregateCache<A: Aggregate> {
    generation: usize,
    maps: Mutex<Generations<A>>,
}

struct Generations<A: Aggregate> {
    young: HashMap<String, Context<A>>,
    old: HashMap<String, Context<A>>,
}

impl<A: Aggregate> AggregateCache<A> {
    /// A cache of at most `capacity` aggregates (0 keeps none).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            generation: capacity / 2,
            maps: Mutex::new(Generations {
                young: HashMap::new(),
                old: HashMap::new(),
            }),
        }
    }

    /// Takes the entry of `aggregate_id` out, if there is one.
    pub(crate) fn take(&self, aggregate_id: &str) -> Option<Context<A>> {
        let mut maps = self.maps.lock().unwrap_or_else(|p| p.into_inner());
        maps.young
            .remove(aggregate_id)
            .or_else(|| maps.old.remove(aggregate_id))
    }

    /// Puts an entry (back) in.
    pub(crate) fn put(&self, context: Context<A>) {
        if self.generation == 0 {
            return;
        }
        let mut maps = self.maps.lock().unwrap_or_else(|p| p.into_inner());
        if maps.young.len() >= self.generation {
            maps.old = std::mem::take(&mut maps.young);
        }
        maps.young.insert(context.aggregate_id.clone(), context);
    }
}

#[cfg(test)]
mod tests {
    use bazaar_domain::escrow::Escrow;

    use super::*;

    fn context(id: &str, sequence: usize) -> Context<Escrow> {
        Context {
            aggregate_id: id.to_owned(),
            aggregate: Escrow::default(),
            current_sequence: sequence,
            current_snapshot: None,
        }
    }

    #[test]
    fn an_entry_is_taken_once_and_the_bound_holds() {
        let cache = AggregateCache::new(4);
        cache.put(context("a", 3));
        assert_eq!(cache.take("a").map(|c| c.current_sequence), Some(3));
        assert!(cache.take("a").is_none(), "taken out while in use");
        for n in 0..10 {
            cache.put(context(&format!("e-{n}"), n));
        }
        let kept = (0..10)
            .filter(|n| cache.take(&format!("e-{n}")).is_some())
            .count();
        assert!(kept <= 4, "{kept} kept");
        cache.put(context("b", 1));
        assert!(cache.take("b").is_some(), "the newest entry is kept");
    }
}
