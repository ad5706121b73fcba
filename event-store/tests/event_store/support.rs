//! A small ledger aggregate used to exercise the store: one command that
//! emits several events (for snapshots) and an event with two versions (for
//! upcasting).

use std::collections::HashMap;

use bazaar_event_store::{EventMetadata, PgEventStore};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, CqrsFramework, DomainEvent, EventStore};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum LedgerCommand {
    Open { currency: String },
    Deposit { amounts: Vec<i64> },
    Withdraw { amount: i64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum LedgerEvent {
    Opened { currency: String },
    Deposited { amount: i64, currency: String },
    Withdrawn { amount: i64 },
}

impl DomainEvent for LedgerEvent {
    fn event_type(&self) -> String {
        match self {
            Self::Opened { .. } => "Opened",
            Self::Deposited { .. } => "Deposited",
            Self::Withdrawn { .. } => "Withdrawn",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        match self {
            Self::Deposited { .. } => "2.0",
            _ => "1.0",
        }
        .to_owned()
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LedgerError {
    #[error("ledger already open")]
    AlreadyOpen,
    #[error("ledger not open")]
    NotOpen,
    #[error("insufficient funds")]
    InsufficientFunds,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Ledger {
    pub(crate) currency: Option<String>,
    pub(crate) balance: i64,
    pub(crate) movements: u32,
}

impl Aggregate for Ledger {
    const TYPE: &'static str = "Ledger";
    type Command = LedgerCommand;
    type Event = LedgerEvent;
    type Error = LedgerError;
    type Services = ();

    async fn handle(
        &mut self,
        command: LedgerCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), LedgerError> {
        match command {
            LedgerCommand::Open { currency } => {
                if self.currency.is_some() {
                    return Err(LedgerError::AlreadyOpen);
                }
                sink.write(LedgerEvent::Opened { currency }, self).await;
            }
            LedgerCommand::Deposit { amounts } => {
                let currency = self.currency.clone().ok_or(LedgerError::NotOpen)?;
                for amount in amounts {
                    let event = LedgerEvent::Deposited {
                        amount,
                        currency: currency.clone(),
                    };
                    sink.write(event, self).await;
                }
            }
            LedgerCommand::Withdraw { amount } => {
                if amount > self.balance {
                    return Err(LedgerError::InsufficientFunds);
                }
                sink.write(LedgerEvent::Withdrawn { amount }, self).await;
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: LedgerEvent) {
        self.movements += 1;
        match event {
            LedgerEvent::Opened { currency } => self.currency = Some(currency),
            LedgerEvent::Deposited { amount, .. } => self.balance += amount,
            LedgerEvent::Withdrawn { amount } => self.balance -= amount,
        }
    }
}

pub(crate) type Cqrs = CqrsFramework<Ledger, PgEventStore<Ledger>>;

pub(crate) fn cqrs(store: PgEventStore<Ledger>) -> Cqrs {
    CqrsFramework::new(store, vec![], ())
}

pub(crate) fn meta() -> HashMap<String, String> {
    EventMetadata::for_command(Uuid::now_v7(), "admin:test").to_map()
}

/// Opens a ledger and deposits `amounts` in one command.
pub(crate) async fn open_and_deposit<S: EventStore<Ledger>>(
    cqrs: &CqrsFramework<Ledger, S>,
    id: &str,
    amounts: Vec<i64>,
) {
    let open = LedgerCommand::Open {
        currency: "EUR".into(),
    };
    cqrs.execute_with_metadata(id, open, meta()).await.unwrap();
    let deposit = LedgerCommand::Deposit { amounts };
    cqrs.execute_with_metadata(id, deposit, meta())
        .await
        .unwrap();
}

pub(crate) async fn count_events(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from events")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Runs `sql` with the append-only guard and the chain trigger lifted, as
/// a superuser could.
pub(crate) async fn as_superuser(pool: &PgPool, sql: &str) {
    let mut tx = bazaar_event_store::pool::begin(pool).await.unwrap();
    sqlx::query("set local session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::raw_sql(sql).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

/// The database clock now.
pub(crate) async fn db_now(pool: &PgPool) -> chrono::DateTime<chrono::Utc> {
    sqlx::query_scalar("select clock_timestamp()")
        .fetch_one(pool)
        .await
        .unwrap()
}
