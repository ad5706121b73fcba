use std::net::SocketAddr;

use bazaar_api::startup::Application;
use bazaar_projections::relay::RelayHealth;
use sqlx::PgPool;
use tokio::sync::oneshot;

/// A running application and how to reach and stop it.
pub(crate) struct TestApp {
    pub(crate) address: String,
    pub(crate) client: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

impl TestApp {
    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request sent")
    }
}

/// Starts the application on a free port over `pool`, without Kafka; it
/// stops when the returned `TestApp` is dropped.
pub(crate) async fn spawn_app(pool: PgPool) -> TestApp {
    spawn_app_with_relay(pool, RelayHealth::off()).await
}

/// Starts the application reporting the relay that `relay` follows.
pub(crate) async fn spawn_app_with_relay(pool: PgPool, relay: RelayHealth) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        bazaar_api::telemetry::init(bazaar_api::config::LogFormat::Text);
    }
    let app = Application::build(pool, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("application builds")
        .with_relay(relay);
    let address = format!("http://{}", app.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run(async {
        let _ = stopped.await;
    }));
    TestApp {
        address,
        client: reqwest::Client::new(),
        _stop: stop,
    }
}
