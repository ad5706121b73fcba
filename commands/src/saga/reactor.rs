//! Reacting to many checkouts at once, each one's events in order.
//!
//! Events enter in commit order. Each goes to the lane of its partition
//! ([`Saga::partition`]: for the checkout saga, the order id); a lane
//! reacts to its events one after another, and at most `lanes` lanes react
//! at once. Lanes waiting for a free slot are served first come, first
//! served, so no checkout starves.
//!
//! The [`Window`] remembers, in commit order, every event read and whether
//! its reaction has completed; only its completed prefix may become the
//! checkpoint. An event whose reaction failed, or is still running, holds
//! the checkpoint before it however far other lanes have gone: a restart
//! replays from there, and the derived command ids make the replay of the
//! completed reactions harmless.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use bazaar_event_store::{Position, RecordedEvent};
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};

use super::Saga;

/// Events read, in commit order, and which of them have been reacted to.
#[derive(Debug, Default)]
pub(crate) struct Window {
    first: u64,
    slots: VecDeque<(Position, bool)>,
}

impl Window {
    /// Adds the next event read; returns its sequence number.
    pub(crate) fn open(&mut self, at: Position) -> u64 {
        self.slots.push_back((at, false));
        self.first + self.slots.len() as u64 - 1
    }

    /// Marks event `seq` as reacted to.
    pub(crate) fn close(&mut self, seq: u64) {
        let index = usize::try_from(seq - self.first).expect("a window fits in memory");
        self.slots[index].1 = true;
    }

    /// Drops the reacted prefix; returns the position of its last event,
    /// the furthest the checkpoint may move now.
    pub(crate) fn advance(&mut self) -> Option<Position> {
        let mut last = None;
        while let Some(&(at, true)) = self.slots.front() {
            last = Some(at);
            self.slots.pop_front();
            self.first += 1;
        }
        last
    }

    /// Events read and not yet released by [`Self::advance`].
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }
}

/// How one reaction went.
pub(crate) struct Reaction {
    /// The lane (partition) it ran in.
    lane: String,
    /// Its place in the window.
    seq: u64,
    /// The event.
    pub(crate) event: RecordedEvent,
    /// Failed attempts before this one.
    pub(crate) failures: u32,
    /// What the saga said.
    pub(crate) result: Result<(), String>,
}

/// A spawned reaction, aborted when dropped (a reactor dropped mid-way
/// stops its reactions, like a process that stopped).
struct Spawned(tokio::task::JoinHandle<Result<(), String>>);

impl Drop for Spawned {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs a saga's reactions, partitioned, a bounded number at once. Each
/// reaction is a task of its own, so reactions go on while the leader
/// reads the log or saves the checkpoint.
pub(crate) struct Reactor<S: Saga> {
    saga: S,
    lanes: usize,
    window: Window,
    queues: HashMap<String, VecDeque<(u64, RecordedEvent)>>,
    waiting: VecDeque<String>,
    running: FuturesUnordered<BoxFuture<'static, Reaction>>,
    stopping: bool,
}

impl<S: Saga> Reactor<S> {
    /// A reactor running at most `lanes` partitions at once.
    pub(crate) fn new(saga: &S, lanes: usize) -> Self {
        Self {
            saga: saga.clone(),
            lanes: lanes.max(1),
            window: Window::default(),
            queues: HashMap::new(),
            waiting: VecDeque::new(),
            running: FuturesUnordered::new(),
            stopping: false,
        }
    }

    /// Takes `events` (the next ones in commit order) and starts what it can.
    pub(crate) fn admit(&mut self, events: Vec<RecordedEvent>) {
        for event in events {
            let seq = self.window.open(event.position);
            let Some(lane) = self.saga.partition(&event) else {
                self.window.close(seq);
                continue;
            };
            match self.queues.get_mut(&lane) {
                Some(queue) => queue.push_back((seq, event)),
                None => {
                    self.queues
                        .insert(lane.clone(), VecDeque::from([(seq, event)]));
                    self.waiting.push_back(lane);
                }
            }
        }
        self.start();
    }

    /// Starts waiting lanes while slots are free.
    fn start(&mut self) {
        while !self.stopping && self.running.len() < self.lanes {
            let Some(lane) = self.waiting.pop_front() else {
                return;
            };
            let next = self.queues.get_mut(&lane).and_then(VecDeque::pop_front);
            if let Some((seq, event)) = next {
                self.react(lane, seq, event, 0, Duration::ZERO);
            }
        }
    }

    fn react(
        &mut self,
        lane: String,
        seq: u64,
        event: RecordedEvent,
        failures: u32,
        after: Duration,
    ) {
        let saga = self.saga.clone();
        let copy = event.clone();
        let task = Spawned(tokio::spawn(async move {
            if !after.is_zero() {
                tokio::time::sleep(after).await;
            }
            saga.react(&copy).await
        }));
        self.running.push(Box::pin(async move {
            let mut task = task;
            let result = match (&mut task.0).await {
                Ok(result) => result,
                Err(error) => Err(format!("reaction stopped: {error}")),
            };
            Reaction {
                lane,
                seq,
                event,
                failures,
                result,
            }
        }));
    }

    /// The next reaction to finish, or `None` when none is running.
    pub(crate) async fn next(&mut self) -> Option<Reaction> {
        self.running.next().await
    }

    /// Records a completed reaction and starts the lane's next event.
    pub(crate) fn completed(&mut self, reaction: Reaction) {
        self.window.close(reaction.seq);
        let lane = reaction.lane;
        if self.queues.get(&lane).is_some_and(VecDeque::is_empty) {
            self.queues.remove(&lane);
        } else {
            self.waiting.push_back(lane);
        }
        self.start();
    }

    /// Runs a failed reaction again after `pause`; its lane waits for it
    /// (and the checkpoint stays before it) meanwhile.
    pub(crate) fn retry(&mut self, reaction: Reaction, pause: Duration) {
        let failures = reaction.failures + 1;
        self.react(reaction.lane, reaction.seq, reaction.event, failures, pause);
    }

    /// Stops starting lanes: what is running finishes, nothing new begins.
    pub(crate) fn stop_starting(&mut self) {
        self.stopping = true;
    }

    /// Where the checkpoint may move now (see [`Window::advance`]).
    pub(crate) fn advance(&mut self) -> Option<Position> {
        self.window.advance()
    }

    /// Events read and not yet behind the checkpoint.
    pub(crate) fn backlog(&self) -> usize {
        self.window.len()
    }

    /// Whether any reaction is running.
    pub(crate) fn busy(&self) -> bool {
        !self.running.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(n: i64) -> Position {
        Position::new(1, n)
    }

    #[test]
    fn the_checkpoint_never_passes_an_event_still_running() {
        let mut window = Window::default();
        let (a, b, c) = (window.open(at(1)), window.open(at(2)), window.open(at(3)));
        window.close(c);
        window.close(b);
        assert_eq!(window.advance(), None, "the first event is still running");
        window.close(a);
        assert_eq!(window.advance(), Some(at(3)));
        assert_eq!(window.len(), 0);
        let d = window.open(at(4));
        window.close(d);
        assert_eq!(window.advance(), Some(at(4)));
    }
}
