//! `/metrics` through the metrics exporter: every series has `# HELP` and
//! `# TYPE`, latencies are bucketed histograms, the workers' counters move
//! when they work, and a read model's lag keeps one series across a
//! rebuild (generation and state are gauges of their own).

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::fixtures::{line, paid_order, receive_stock};
use crate::helpers::{spawn_app, spawn_full, workers_idle, TestApp};

/// The value of the series `series` (name and labels, exactly), if shown.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Lines of `text` whose series is `name` (with any labels).
fn series<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(['{', ' ']))
        })
        .collect()
}

async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_workers_counters_move_and_every_series_is_described(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let saga = "bazaar_saga_reactions_total{saga=\"checkout-saga\",outcome=\"completed\"}";
    let batches = "bazaar_projection_batches_total{projection=\"orders\"}";
    let events = "bazaar_projection_events_total{projection=\"orders\"}";
    let fired = "bazaar_scheduler_due_total";
    let before = scrape(&app).await;

    receive_stock(&app, "v-1", "apple", 10).await;
    paid_order(&app, "buyer-1", vec![line("v-1", "apple", 2, 250)]).await;
    workers_idle(&app.pool).await;
    // a timer due now that names no order: the scheduler claims and runs it
    sqlx::query(
        "insert into scheduled_command (scheduled_command_id, aggregate_type, aggregate_id, command, \
                                        due_at, correlation_id, causation_id) \
         values (gen_random_uuid(), 'Order', 'o-none', '{}', now(), gen_random_uuid(), gen_random_uuid())",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let mut after = scrape(&app).await;
    for _ in 0..400 {
        if value(&after, fired).unwrap_or(0.0) > value(&before, fired).unwrap_or(0.0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        after = scrape(&app).await;
    }

    for counter in [saga, batches, events, fired] {
        let was = value(&before, counter).unwrap_or(0.0);
        let now = value(&after, counter).unwrap_or_else(|| panic!("{counter} in {after}"));
        assert!(now > was, "{counter} moved from {was} to {now}");
    }
    let fired_any: f64 = series(&after, "bazaar_scheduler_fired_total")
        .iter()
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(fired_any >= 1.0, "{after}");
    assert!(
        value(
            &after,
            "bazaar_projection_batch_duration_seconds_bucket{projection=\"orders\",le=\"+Inf\"}"
        )
        .is_some_and(|n| n >= 1.0),
        "{after}"
    );
    assert!(
        value(&after, "bazaar_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/orders/{order_id}\",le=\"0.005\"}")
            .is_some(),
        "{after}"
    );
    for name in [
        "bazaar_http_requests_total",
        "bazaar_http_request_duration_seconds",
        "bazaar_commands_total",
        "bazaar_saga_reactions_total",
        "bazaar_projection_batches_total",
        "bazaar_projection_lag_events",
        "bazaar_projection_state",
        "bazaar_scheduler_due_timers",
    ] {
        assert!(after.contains(&format!("# HELP {name} ")), "HELP of {name}");
        assert!(after.contains(&format!("# TYPE {name} ")), "TYPE of {name}");
    }
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_rebuild_moves_the_generation_gauge_not_the_lag_series(pool: PgPool) {
    sqlx::query(
        "insert into projection (projection_name, generation, code_version, status) \
         values ('orders', 1, 1, 'live'), ('orders', 2, 1, 'building')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let app = spawn_app(pool.clone()).await;

    let rebuilding = scrape(&app).await;
    for statement in [
        "update projection set status = 'retired' where projection_name = 'orders' and generation = 1",
        "update projection set status = 'live' where projection_name = 'orders' and generation = 2",
    ] {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    let rebuilt = scrape(&app).await;

    for text in [&rebuilding, &rebuilt] {
        let lag = series(text, "bazaar_projection_lag_events");
        assert_eq!(lag.len(), 1, "one lag series: {lag:?}");
        assert!(lag[0].starts_with("bazaar_projection_lag_events{projection=\"orders\"} "));
        let live = "bazaar_projection_state{projection=\"orders\",state=\"live\"}";
        assert_eq!(value(text, live), Some(1.0), "{text}");
        let failed = "bazaar_projection_state{projection=\"orders\",state=\"failed\"}";
        assert_eq!(value(text, failed), Some(0.0), "{text}");
    }
    let generation = "bazaar_projection_generation{projection=\"orders\"}";
    assert_eq!(value(&rebuilding, generation), Some(1.0));
    assert_eq!(value(&rebuilt, generation), Some(2.0));
    let rebuild_lag = "bazaar_projection_rebuild_lag_events{projection=\"orders\"}";
    assert!(value(&rebuilding, rebuild_lag).is_some(), "{rebuilding}");
    assert_eq!(value(&rebuilt, rebuild_lag), Some(0.0));
}
