//! `Idempotency-Key` with Stripe's semantics, against a real database.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bazaar_api::http::idempotency::purge;
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{registry, Layer};

use crate::fixtures::{line, receive_stock};
use crate::helpers::{buyer, spawn_app, spawn_full};

fn checkout() -> Value {
    json!({"currency": "EUR", "lines": [line("v-1", "apple", 2, 250)]})
}

async fn order_events(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar(
        "select count(*) from events where aggregate_type = 'Order' and event_type = 'OrderPlaced'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_retry_with_the_same_key_replays_the_first_response(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    let token = buyer("buyer-1");

    let first = app
        .post_with(&token, "/v1/orders", &checkout(), Some("checkout-1"))
        .await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let location = first.headers()["location"].to_str().unwrap().to_owned();
    let first: Value = first.json().await.unwrap();
    let again = app
        .post_with(&token, "/v1/orders", &checkout(), Some("checkout-1"))
        .await;

    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"].to_str().unwrap(), location);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);
    assert_eq!(order_events(&app.pool).await, 1);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_same_key_with_another_body_is_422_and_writes_nothing(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    let token = buyer("buyer-1");
    app.post_with(&token, "/v1/orders", &checkout(), Some("k"))
        .await;

    let other = json!({"currency": "EUR", "lines": [line("v-1", "apple", 3, 250)]});
    let response = app.post_with(&token, "/v1/orders", &other, Some("k")).await;

    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "/problems/idempotency-key-reused");
    assert_eq!(order_events(&app.pool).await, 1);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn keys_belong_to_their_principal(_: PgPoolOptions, options: PgConnectOptions) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;

    let a = app
        .post_with(&buyer("buyer-1"), "/v1/orders", &checkout(), Some("same"))
        .await;
    let b = app
        .post_with(&buyer("buyer-2"), "/v1/orders", &checkout(), Some("same"))
        .await;

    assert_eq!(a.status(), 201);
    assert_eq!(b.status(), 201);
    assert!(b.headers().get("idempotent-replayed").is_none());
    assert_eq!(order_events(&app.pool).await, 2);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn concurrent_requests_with_one_key_run_the_command_once(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    let token = buyer("buyer-1");

    let cart = checkout();
    let requests = (0..8).map(|_| app.post_with(&token, "/v1/orders", &cart, Some("race")));
    let responses = futures::future::join_all(requests).await;

    let mut created = 0;
    for response in responses {
        match response.status().as_u16() {
            201 => created += 1,
            409 => {
                assert_eq!(response.headers()["retry-after"], "1");
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["type"], "/problems/idempotency-request-in-flight");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(created >= 1);
    assert_eq!(order_events(&app.pool).await, 1);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn rejections_are_stored_too_and_keys_expire_after_retention(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let token = buyer("buyer-1");
    let empty = json!({"currency": "EUR", "lines": []});

    let first = app
        .post_with(&token, "/v1/orders", &empty, Some("empty"))
        .await;
    assert_eq!(first.status(), 422);
    let again = app
        .post_with(&token, "/v1/orders", &empty, Some("empty"))
        .await;
    assert_eq!(again.status(), 422);
    assert_eq!(again.headers()["idempotent-replayed"], "true");

    sqlx::query("update api_idempotency set created_at = now() - interval '25 hours'")
        .execute(&app.pool)
        .await
        .unwrap();
    let purged = purge(&app.pool, Duration::from_secs(24 * 3600))
        .await
        .unwrap();
    assert_eq!(purged, 1);
    let fresh = app
        .post_with(&token, "/v1/orders", &empty, Some("empty"))
        .await;
    assert_eq!(fresh.status(), 422);
    assert!(fresh.headers().get("idempotent-replayed").is_none());
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_bad_key_is_400(_: PgPoolOptions, options: PgConnectOptions) {
    let app = spawn_full(options, |_| {}).await;
    let long = "k".repeat(256);

    for key in [long.as_str(), "has space"] {
        let response = app
            .post_with(&buyer("buyer-1"), "/v1/orders", &checkout(), Some(key))
            .await;
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["type"], "/problems/invalid-idempotency-key");
    }
}

/// A keyed command's stored response commits in the transaction of its
/// events, and a replay returns the very same bytes.
#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_keyed_commands_response_commits_with_its_events(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = buyer("buyer-1");

    let first = app
        .post_with(&token, "/v1/orders", &checkout(), Some("atomic"))
        .await;
    assert_eq!(first.status(), 201);
    let location = first.headers()["location"].clone();
    let first = first.bytes().await.unwrap();
    let same_transaction: bool = sqlx::query_scalar(
        "select k.state = 'done' \
            and k.xmin::text::bigint = (e.tx_id::text::numeric % 4294967296)::bigint \
           from api_idempotency k, events e \
          where k.idempotency_key = 'atomic' and e.event_type = 'OrderPlaced'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(
        same_transaction,
        "the key completed in the events' transaction"
    );

    let again = app
        .post_with(&token, "/v1/orders", &checkout(), Some("atomic"))
        .await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"], location);
    assert_eq!(again.bytes().await.unwrap(), first);
    assert_eq!(order_events(&app.pool).await, 1);
}

/// The SQL statements run on this thread while it is set as the default.
#[derive(Clone, Default)]
struct Statements(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut summary = Summary::default();
        event.record(&mut summary);
        self.0.lock().unwrap().push(summary.0);
    }
}

/// The statements seen since the last call, but the wake-up notifier's.
fn request_statements(seen: &Statements) -> Vec<String> {
    let mut statements = std::mem::take(&mut *seen.0.lock().unwrap());
    statements.retain(|sql| !sql.contains("pg_notify"));
    statements
}

#[derive(Default)]
struct Summary(String);

impl Visit for Summary {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" {
            self.0 = format!("{value:?}");
        }
    }
}

/// Counts the statements (each one round trip) a keyed checkout costs: the
/// key's claim and the group commit that writes the order's events, its
/// command-log row and the key's response. A replay is the claim alone.
/// (The app runs on the test's one thread, so every statement it sends
/// is seen; `--nocapture` prints them. The wake-up `NOTIFY` is the
/// notifier's background task, coalesced across appends and not waited
/// for, so it is no round trip of the request's.)
///
/// The count comes from sqlx's statement events through a thread-local
/// subscriber. tracing caches each callsite's interest process-wide, and
/// once in a full run (other tests installing and dropping their own
/// subscribers meanwhile) not one event reached it. So a try that saw no
/// statement at all is taken as unobserved and made again with new keys,
/// at most three times; a try that saw statements must count exactly.
#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_keyed_checkout_is_two_round_trips_and_its_replay_one(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = buyer("buyer-1");
    // opens the pools' connections and starts the group commit's writers
    let warm = app
        .post_with(&token, "/v1/orders", &checkout(), Some("warm-up"))
        .await;
    assert_eq!(warm.status(), 201);
    // let the warm-up's background work (the coalesced wake-up) finish
    tokio::time::sleep(Duration::from_millis(300)).await;

    for attempt in 1..=3 {
        let (creation, replay) =
            count_keyed_checkout(&app, &token, &format!("counted-{attempt}")).await;
        println!(
            "try {attempt}: keyed checkout: {} statements: {creation:#?}",
            creation.len()
        );
        println!("its replay: {} statements: {replay:#?}", replay.len());
        if creation.is_empty() && replay.is_empty() {
            continue;
        }
        assert_eq!(creation.len(), 2, "{creation:#?}");
        assert_eq!(replay.len(), 1, "{replay:#?}");
        return;
    }
    panic!("no statement was observed in three tries");
}

/// One keyed checkout and its replay, with the statements each sent.
async fn count_keyed_checkout(
    app: &crate::helpers::TestApp,
    token: &str,
    key: &str,
) -> (Vec<String>, Vec<String>) {
    let seen = Statements::default();
    let guard = tracing::subscriber::set_default(registry().with(seen.clone()));
    tracing::callsite::rebuild_interest_cache();
    let created = app
        .post_with(token, "/v1/orders", &checkout(), Some(key))
        .await;
    let creation = request_statements(&seen);
    let replayed = app
        .post_with(token, "/v1/orders", &checkout(), Some(key))
        .await;
    let replay = request_statements(&seen);
    drop(guard);
    assert_eq!(created.status(), 201);
    assert_eq!(replayed.headers()["idempotent-replayed"], "true");
    (creation, replay)
}
