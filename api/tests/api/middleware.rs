//! The middleware every route runs in: a panicking handler answers a
//! problem 500 and the server goes on, a request over the timeout answers
//! 503 `timeout`, unknown routes and methods answer problems 404 and 405,
//! request ids are echoed, and credentials never reach the logs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use bazaar_api::http::layers;
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{admin, spawn_app};

/// Serves `router` inside the API's middleware stack on a free port.
async fn serve(router: Router, timeout: Duration) -> String {
    let app = layers::around(router, timeout, 1024);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

async fn problem(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    (status, response.json().await.unwrap())
}

async fn boom() -> &'static str {
    panic!("deliberate test panic")
}

#[tokio::test]
async fn a_panicking_handler_answers_a_problem_500_and_the_server_goes_on() {
    let router = Router::new()
        .route("/boom", get(boom))
        .route("/fine", get(|| async { "fine" }));
    let address = serve(router, Duration::from_secs(30)).await;
    let client = reqwest::Client::new();

    let boom = client.get(format!("{address}/boom")).send().await.unwrap();
    let request_id = boom.headers().get("x-request-id").cloned();
    let (status, body) = problem(boom).await;
    let after = client.get(format!("{address}/fine")).send().await.unwrap();

    assert_eq!(status, 500);
    assert_eq!(body["type"], "/problems/internal");
    assert!(
        !body.to_string().contains("deliberate"),
        "the panic stays in the logs: {body}"
    );
    assert!(request_id.is_some(), "a 500 still carries its request id");
    assert_eq!(after.status(), 200);
}

#[tokio::test]
async fn a_request_over_the_timeout_answers_503_timeout_with_retry_after() {
    let router = Router::new().route("/stuck", get(std::future::pending::<&str>));
    let address = serve(router, Duration::from_millis(200)).await;

    let response = reqwest::get(format!("{address}/stuck")).await.unwrap();
    let retry_after = response.headers().get("retry-after").cloned();
    let (status, body) = problem(response).await;

    assert_eq!(status, 503);
    assert_eq!(body["type"], "/problems/timeout");
    assert_eq!(retry_after.unwrap(), "1");
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn unknown_routes_answer_404_and_wrong_methods_405_as_problems(pool: PgPool) {
    let app = spawn_app(pool).await;

    let (unknown, unknown_body) = problem(app.get("/v2/nothing-here").await).await;
    let wrong = app
        .client
        .delete(format!("{}/v1/orders", app.address))
        .bearer_auth(admin())
        .send()
        .await
        .unwrap();
    let allow = wrong.headers().get("allow").cloned();
    let (wrong_status, wrong_body) = problem(wrong).await;
    let (live, _) = problem(
        app.client
            .post(format!("{}/health/live", app.address))
            .send()
            .await
            .unwrap(),
    )
    .await;

    assert_eq!(
        (unknown, &unknown_body["type"]),
        (404, &"/problems/not-found".into())
    );
    assert_eq!(wrong_status, 405);
    assert_eq!(wrong_body["type"], "/problems/method-not-allowed");
    let allow = allow.expect("405 names the allowed methods");
    assert!(allow.to_str().unwrap().contains("GET"), "{allow:?}");
    assert_eq!(live, 405);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_callers_request_id_is_echoed_and_an_unusable_one_replaced(pool: PgPool) {
    let app = spawn_app(pool).await;
    let with_id = |id: String| {
        app.client
            .get(format!("{}/health/live", app.address))
            .header("x-request-id", id)
            .send()
    };

    let kept = with_id("trace-me-42".to_owned()).await.unwrap();
    let long = with_id("x".repeat(200)).await.unwrap();
    let none = app.get("/health/live").await;

    assert_eq!(kept.headers()["x-request-id"], "trace-me-42");
    let replaced = long.headers()["x-request-id"].to_str().unwrap();
    assert!(
        replaced.len() == 36 && !replaced.contains("xxx"),
        "{replaced}"
    );
    assert_eq!(none.headers()["x-request-id"].len(), 36);
}

/// A log writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn credentials_and_cookies_are_logged_as_sensitive_never_in_clear() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let router = Router::new().route("/fine", get(|| async { "fine" }));
    let address = serve(router, Duration::from_secs(30)).await;

    let response = reqwest::Client::new()
        .get(format!("{address}/fine"))
        .header("authorization", "Bearer token-value-that-must-not-leak")
        .header("cookie", "session=cookie-value-that-must-not-leak")
        .header("x-visible", "plain-header-value")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("request received"),
        "headers are logged at debug: {logs}"
    );
    assert!(logs.contains("plain-header-value"), "{logs}");
    assert!(logs.contains("Sensitive"), "{logs}");
    assert!(!logs.contains("must-not-leak"), "{logs}");
}
