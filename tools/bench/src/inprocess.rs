//! Commands through the executor, without HTTP: what the write path itself
//! sustains (decide, group commit) for creations, beside the same run's
//! pgbench single-row insert, with the batch sizes the group commit saw.

use std::sync::Arc;
use std::time::Duration;

use bazaar_commands::{Options, WriteSide};
use bazaar_domain::escrow::{EscrowCommand, MilestoneInput};
use bazaar_domain::ids::{MilestoneId, PartyId};
use bazaar_domain::money::{Currency, Money};
use bazaar_event_store::{BatchSizes, EventMetadata};
use sqlx::PgPool;
use uuid::Uuid;

use super::baseline::Baselines;
use super::load::closed_loop;
use super::report::Figure;
use super::BenchArgs;

/// Escrow openings (one event on a new stream each) by `args.clients`
/// concurrent callers of one write side, for `args.seconds`. Each is run
/// as the API runs an opening: under a fresh id, with
/// [`Options::creates`], so it decides without reading the (empty)
/// stream and its one round trip is the group commit.
pub(crate) async fn measure(
    pool: &PgPool,
    args: &BenchArgs,
    base: &Baselines,
) -> anyhow::Result<Vec<Figure>> {
    let app = Arc::new(WriteSide::new(pool.clone()));
    let command = Arc::new(create_escrow()?);
    let before = app.batch_sizes();
    let writer = Arc::clone(&app);
    let load = closed_loop(
        args.clients,
        Duration::from_secs(args.seconds),
        move |c, _| {
            let (app, command) = (Arc::clone(&writer), Arc::clone(&command));
            async move {
                let id = Uuid::now_v7();
                let metadata = EventMetadata::for_command(id, format!("buyer:bench-{c}"));
                let escrow = id.to_string();
                // as the API opens one: a fresh id, decided without a load
                let creates = Options {
                    creates: true,
                    ..Options::default()
                };
                app.escrows
                    .execute_with(&escrow, (*command).clone(), &metadata, creates)
                    .await
                    .is_ok()
            }
        },
    )
    .await;
    let sizes = app.batch_sizes().since(&before);
    let rate = load.per_second();
    let clients = args.clients;
    let mut figures = vec![
        Figure::new(
            format!("command in process (1 event), {clients} callers"),
            rate,
            "ops/s",
        )
        .against("pgbench single-row insert", base.insert_tps)
        .target(">= 1.0 x raw inserts", rate >= base.insert_tps),
        Figure::new("in-process command latency p50", load.ms(0.50), "ms"),
        Figure::new("in-process command latency p99", load.ms(0.99), "ms"),
        Figure::new("in-process commands failed", load.failed as f64, "count"),
    ];
    figures.extend(batch_figures("in process", &sizes));
    Ok(figures)
}

/// The mean and largest group commit of a measurement, and its histogram
/// (batches per size class 1, 2-3, 4-7, ...) in the figure's name.
pub(crate) fn batch_figures(what: &str, sizes: &BatchSizes) -> Vec<Figure> {
    vec![
        Figure::new(
            format!(
                "group commit size {what}, mean (histogram {:?})",
                sizes.histogram
            ),
            sizes.mean(),
            "commands",
        ),
        Figure::new(
            format!("group commit size {what}, max"),
            sizes.max as f64,
            "commands",
        ),
    ]
}

fn create_escrow() -> anyhow::Result<EscrowCommand> {
    let eur = Currency::parse("EUR")?;
    let amount = Money::new(10_000, eur);
    Ok(EscrowCommand::CreateEscrow {
        buyer: PartyId::parse("bench-buyer")?,
        seller: PartyId::parse("bench-seller")?,
        currency: eur,
        amount,
        milestones: vec![MilestoneInput {
            milestone: MilestoneId::parse("m1")?,
            description: "hand over".to_owned(),
            amount,
        }],
        inspection_period_days: 3,
        dispute_window_hours: 48,
        agent: None,
        platform_fee_rate: None,
        at: chrono::Utc::now(),
    })
}
