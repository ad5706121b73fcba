//! The cqrs-es `EventStore` over Postgres that Bazaar's aggregates run on.
//!
//! cqrs-es's own `PersistedEventStore` cannot be made to snapshot correctly
//! (see [`crate::snapshot`]), so this store implements `EventStore` directly:
//! it loads from a snapshot plus the events after it, upcasts old event
//! versions, requires [`EventMetadata`] on every commit, gives each event a
//! UUIDv7, writes a commit in one statement (with its snapshot, when one is
//! due, in the same transaction), and returns the committed envelopes with
//! `event_id` and `global_position` in their metadata.
//!
//! The contract with cqrs-es 0.5: the context's aggregate passed to
//! [`EventStore::commit`] already has the new events applied, as
//! `CqrsFramework` does through its `EventSink`.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use cqrs_es::persist::{
    EventStoreAggregateContext, EventUpcaster, PersistenceError, SerializedEvent,
};
use cqrs_es::{Aggregate, AggregateError, EventEnvelope, EventStore};
use sqlx::PgPool;

use crate::append::{Appended, Batch};
use crate::command_log::CommandRecord;
use crate::error::Result;
use crate::group::GroupCommit;
use crate::metadata::{EventMetadata, EVENT_ID, GLOBAL_POSITION};
use crate::receipt::Receipt;
use crate::recorded::{read_stream, RecordedEvent};
use crate::snapshot::{self, Snapshot};
use crate::wakeup::Notifier;

/// Postgres event store for aggregate `A`.
pub struct PgEventStore<A> {
    pub(crate) pool: PgPool,
    snapshot_every: usize,
    upcasters: Arc<[Box<dyn EventUpcaster>]>,
    notifier: Option<Notifier>,
    group: Option<GroupCommit>,
    _aggregate: PhantomData<fn() -> A>,
}

impl<A> Clone for PgEventStore<A> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            snapshot_every: self.snapshot_every,
            upcasters: Arc::clone(&self.upcasters),
            notifier: self.notifier.clone(),
            group: self.group.clone(),
            _aggregate: PhantomData,
        }
    }
}

type Context<A> = EventStoreAggregateContext<A>;

impl<A: Aggregate> PgEventStore<A> {
    /// A store that rebuilds aggregates from their events alone.
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            snapshot_every: 0,
            upcasters: Arc::from(Vec::new()),
            notifier: None,
            group: None,
            _aggregate: PhantomData,
        }
    }

    /// Stores a snapshot whenever a stream crosses a multiple of `every`
    /// events (0 turns snapshots off).
    pub fn with_snapshots(mut self, every: usize) -> Self {
        self.snapshot_every = every;
        self
    }

    /// Signals `notifier` after every successful append.
    pub fn with_notifier(mut self, notifier: Notifier) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// Writes appends through `group`, together with the appends of other
    /// commands running at the same time (see [`crate::group`]).
    pub fn with_group_commit(mut self, group: GroupCommit) -> Self {
        self.group = Some(group);
        self
    }

    /// Upcasters applied, in order, to every event read.
    pub fn with_upcasters(mut self, upcasters: Vec<Box<dyn EventUpcaster>>) -> Self {
        self.upcasters = Arc::from(upcasters);
        self
    }

    /// Commits `events` and says where each landed. Same as
    /// [`EventStore::commit`] but with the event store's own error and result.
    pub async fn append(
        &self,
        events: Vec<A::Event>,
        context: Context<A>,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<(EventEnvelope<A>, Appended)>> {
        self.append_recorded(events, context, metadata, None).await
    }

    /// [`Self::append`], recording `command` in `command_log` atomically with
    /// the events; a command id used before fails with
    /// [`crate::Error::DuplicateCommand`] and writes nothing.
    pub async fn append_recorded(
        &self,
        events: Vec<A::Event>,
        mut context: Context<A>,
        metadata: HashMap<String, String>,
        command: Option<CommandRecord>,
    ) -> Result<Vec<(EventEnvelope<A>, Appended)>> {
        self.append_to(events, &mut context, metadata, command)
            .await
    }

    /// [`Self::append_recorded`] on a context that stays the caller's: on
    /// success it is moved to the last appended sequence (and snapshot
    /// count), so a caller that keeps aggregates in memory can go on with
    /// it. Its aggregate must already have `events` applied.
    pub async fn append_to(
        &self,
        events: Vec<A::Event>,
        context: &mut Context<A>,
        metadata: HashMap<String, String>,
        command: Option<CommandRecord>,
    ) -> Result<Vec<(EventEnvelope<A>, Appended)>> {
        self.append_receipted(events, context, metadata, command, None)
            .await
    }

    /// [`Self::append_to`], completing `receipt`'s idempotency key with its
    /// response in the same transaction as the events (if the key still
    /// holds the receipt's lease; a lost lease does not fail the append).
    /// See [`crate::receipt`].
    pub async fn append_receipted(
        &self,
        events: Vec<A::Event>,
        context: &mut Context<A>,
        metadata: HashMap<String, String>,
        command: Option<CommandRecord>,
        receipt: Option<Receipt>,
    ) -> Result<Vec<(EventEnvelope<A>, Appended)>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let checked = EventMetadata::from_map(&metadata)?;
        let before = context.current_sequence;
        let envelopes = wrap(&context.aggregate_id, before, events, &metadata);
        let batch = Batch::of_events(
            A::TYPE,
            &context.aggregate_id,
            before + 1,
            envelopes.iter().map(|envelope| &envelope.payload),
            &checked,
        )?
        .with_command(command)
        .with_receipt(receipt);
        let after = before + envelopes.len();
        let snapshot = self.due_snapshot(context, after)?;
        let snapshotted = snapshot.as_ref().map(|s| s.current_snapshot);
        let appended = self.write(batch, context, snapshot).await?;
        context.current_sequence = after;
        if let Some(count) = snapshotted {
            context.current_snapshot = usize::try_from(count).ok();
        }
        // committed: readers in this process wake now, others soon
        if let Some(notifier) = &self.notifier {
            notifier.appended();
        }
        let stored = checked.to_map();
        Ok(envelopes
            .into_iter()
            .zip(appended)
            .map(|(mut envelope, appended)| {
                envelope.metadata = stored_map(&stored, &appended);
                (envelope, appended)
            })
            .collect())
    }

    /// The snapshot to store with a commit that moves the stream to `after`.
    fn due_snapshot(&self, context: &Context<A>, after: usize) -> Result<Option<Snapshot>> {
        if !snapshot::is_due(self.snapshot_every, context.current_sequence, after) {
            return Ok(None);
        }
        Ok(Some(Snapshot {
            payload: serde_json::to_value(&context.aggregate)?,
            last_sequence: i64::try_from(after).unwrap_or(i64::MAX),
            current_snapshot: context.current_snapshot.map_or(1, |n| n as i64 + 1),
        }))
    }

    async fn write(
        &self,
        batch: Batch,
        context: &Context<A>,
        snapshot: Option<Snapshot>,
    ) -> Result<Vec<Appended>> {
        if let Some(group) = &self.group {
            return group.append(batch, snapshot).await;
        }
        if snapshot.is_none() && batch.receipt.is_none() {
            return batch.insert(&self.pool).await;
        }
        let mut tx = crate::pool::begin(&self.pool).await?;
        let appended = batch.insert(&mut *tx).await?;
        if let Some(snapshot) = &snapshot {
            snapshot::store(&mut *tx, A::TYPE, &context.aggregate_id, snapshot).await?;
        }
        if let (Some(receipt), Some(last)) = (&batch.receipt, appended.last()) {
            crate::receipt::complete(&mut *tx, receipt, last.position).await?;
        }
        tx.commit().await?;
        Ok(appended)
    }

    /// Loads an aggregate: from its snapshot, if any, plus the events after it.
    pub async fn load(&self, aggregate_id: &str) -> Result<Context<A>> {
        let mut context = Context {
            aggregate_id: aggregate_id.to_owned(),
            aggregate: A::default(),
            current_sequence: 0,
            current_snapshot: None,
        };
        let recorded = if self.snapshot_every > 0 {
            // one round trip: the snapshot and the events after it
            let (snapshot, events) =
                crate::load::snapshot_and_events(&self.pool, A::TYPE, aggregate_id).await?;
            let restored = snapshot.is_none_or(|found| self.restore(&mut context, found));
            if restored {
                events
            } else {
                read_stream(&self.pool, A::TYPE, aggregate_id, 0).await?
            }
        } else {
            read_stream(&self.pool, A::TYPE, aggregate_id, 0).await?
        };
        for event in recorded {
            let envelope = self.deserialize_recorded(event)?;
            context.current_sequence = envelope.sequence;
            context.aggregate.apply(envelope.payload);
        }
        Ok(context)
    }

    /// Starts `context` from `found`; false if the snapshot no longer
    /// deserialises (the aggregate's shape changed): replay all events then.
    fn restore(&self, context: &mut Context<A>, found: Snapshot) -> bool {
        context.current_snapshot = usize::try_from(found.current_snapshot).ok();
        match serde_json::from_value::<A>(found.payload) {
            Ok(aggregate) => {
                context.aggregate = aggregate;
                context.current_sequence = usize::try_from(found.last_sequence).unwrap_or_default();
                true
            }
            Err(error) => {
                tracing::warn!(
                    aggregate_type = A::TYPE,
                    aggregate_id = %context.aggregate_id,
                    %error,
                    "snapshot no longer deserialises; replaying all events"
                );
                false
            }
        }
    }

    async fn load_after(&self, aggregate_id: &str, after: usize) -> Result<Vec<EventEnvelope<A>>> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let recorded = read_stream(&self.pool, A::TYPE, aggregate_id, after).await?;
        recorded
            .into_iter()
            .map(|event| self.deserialize_recorded(event))
            .collect()
    }

    /// The database this store reads and writes.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A recorded event as the aggregate's event: decoded straight from the
    /// stored text, or through the upcasters' JSON trees when one of them
    /// applies to its type and version.
    pub fn deserialize_recorded(&self, event: RecordedEvent) -> Result<EventEnvelope<A>> {
        let stale = self
            .upcasters
            .iter()
            .any(|upcaster| upcaster.can_upcast(&event.event_type, &event.event_version));
        if stale {
            return self.deserialize(SerializedEvent::from(event));
        }
        Ok(EventEnvelope {
            // sequences are checked >= 1 by the table
            sequence: usize::try_from(event.sequence).unwrap_or_default(),
            payload: event.payload.decode()?,
            metadata: event.metadata.decode()?,
            aggregate_id: event.aggregate_id,
        })
    }

    /// A stored event as the aggregate's event, through the upcasters.
    pub fn deserialize(&self, event: SerializedEvent) -> Result<EventEnvelope<A>> {
        let upcast = self.upcasters.iter().fold(event, |event, upcaster| {
            if upcaster.can_upcast(&event.event_type, &event.event_version) {
                upcaster.upcast(event)
            } else {
                event
            }
        });
        Ok(EventEnvelope {
            aggregate_id: upcast.aggregate_id,
            sequence: upcast.sequence,
            payload: serde_json::from_value(upcast.payload)?,
            metadata: serde_json::from_value(upcast.metadata)?,
        })
    }
}

fn wrap<A: Aggregate>(
    aggregate_id: &str,
    before: usize,
    events: Vec<A::Event>,
    metadata: &HashMap<String, String>,
) -> Vec<EventEnvelope<A>> {
    events
        .into_iter()
        .zip(before + 1..)
        .map(|(payload, sequence)| EventEnvelope {
            aggregate_id: aggregate_id.to_owned(),
            sequence,
            payload,
            metadata: metadata.clone(),
        })
        .collect()
}

/// The metadata of a committed event as it is stored (the checked fields,
/// a valid trace context only, the event's id) plus its global position:
/// what reading the event back gives.
fn stored_map(checked: &HashMap<String, String>, appended: &Appended) -> HashMap<String, String> {
    let mut map = checked.clone();
    map.insert(EVENT_ID.to_owned(), appended.event_id.to_string());
    map.insert(
        GLOBAL_POSITION.to_owned(),
        appended.position.global_position.to_string(),
    );
    map
}

fn to_aggregate_error<E: std::error::Error>(error: crate::Error) -> AggregateError<E> {
    AggregateError::from(PersistenceError::from(error))
}

impl<A: Aggregate> EventStore<A> for PgEventStore<A> {
    type AC = Context<A>;

    async fn load_events(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        self.load_after(aggregate_id, 0)
            .await
            .map_err(to_aggregate_error)
    }

    async fn load_aggregate(
        &self,
        aggregate_id: &str,
    ) -> Result<Context<A>, AggregateError<A::Error>> {
        self.load(aggregate_id).await.map_err(to_aggregate_error)
    }

    async fn commit(
        &self,
        events: Vec<A::Event>,
        context: Context<A>,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        let committed = self
            .append(events, context, metadata)
            .await
            .map_err(to_aggregate_error)?;
        Ok(committed
            .into_iter()
            .map(|(envelope, _)| envelope)
            .collect())
    }
}
