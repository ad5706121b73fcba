//! Building the application and serving it until shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bazaar_commands::WriteSide;
use bazaar_domain::money::FeeRate;
use bazaar_projections::relay::RelayHealth;
use bazaar_projections::search::Search;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::http::idempotency::{self, Idempotency};
use crate::http::rate_limit::{ClientLimiter, RateLimiter};
use crate::read::replicas::Replicas;
use crate::routes;
use crate::settings::HttpSettings;
use crate::state::{AppState, Policy, Services};

/// A bound, not yet running, HTTP application.
pub struct Application {
    listener: TcpListener,
    state: Services,
}

impl Application {
    /// Binds `settings.http_addr` (port 0 picks a free port) over an open
    /// pool, with a write side of its own. The Kafka relay is reported
    /// `off` unless [`Self::with_relay`] says more.
    pub async fn build(pool: PgPool, settings: &HttpSettings) -> anyhow::Result<Self> {
        let idempotency = (pool.options().get_max_connections() / 2).max(2);
        Self::build_with(pool, idempotency, settings).await
    }

    /// Like [`Self::build`], with a pool of `idempotency_connections` for
    /// the idempotency records (the process's connection budget says how
    /// many: `bazaar_event_store::pool::Budget`).
    pub async fn build_with(
        pool: PgPool,
        idempotency_connections: u32,
        settings: &HttpSettings,
    ) -> anyhow::Result<Self> {
        // the exporter first: the workers of this process record into it
        crate::http::metrics::handle();
        let verifier = settings.verifier()?;
        if let Some(jwks) = verifier.jwks() {
            match jwks.prime().await {
                Ok(keys) => tracing::info!(url = jwks.url(), keys, "JWKS keys loaded"),
                Err(error) => tracing::warn!(url = jwks.url(), error = %format!("{error:#}"),
                    "JWKS not reachable at start-up; fetched again on the first token"),
            }
        }
        let fee_rate = FeeRate::from_bps(settings.fee_rate_bps)
            .map_err(|e| anyhow::anyhow!("BAZAAR_FEE_RATE_BPS: {e}"))?;
        let addr = settings.http_addr;
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let state = Services {
            write_side: Arc::new(WriteSide::new(pool.clone())),
            relay: RelayHealth::off(),
            verifier,
            limiter: RateLimiter::new(settings.rate_limit_per_second, settings.rate_limit_burst),
            clients: ClientLimiter {
                limiter: RateLimiter::new(
                    settings.client_rate_limit_per_second,
                    settings.client_rate_limit_burst,
                ),
                proxy_hops: usize::from(settings.trusted_proxy_hops),
            },
            idempotency: Idempotency {
                pool: idempotency::async_commit_pool(&pool, idempotency_connections),
                body_limit: settings.max_body_bytes,
                retention: Duration::from_secs(settings.idempotency_retention_hours * 3600),
                lease: Duration::from_secs(settings.idempotency_lease_seconds),
            },
            policy: Policy {
                fee_rate,
                payment_window: chrono::Duration::minutes(i64::from(
                    settings.payment_window_minutes,
                )),
            },
            read_wait: Duration::from_millis(settings.read_wait_ms),
            request_timeout: settings.request_timeout()?,
            search: Search::postgres(pool.clone()),
            replicas: Replicas::default(),
            pool,
        };
        Ok(Self { listener, state })
    }

    /// Reports the Kafka relay that `health` follows on `/health/ready`.
    #[must_use]
    pub fn with_relay(mut self, health: RelayHealth) -> Self {
        self.state.relay = health;
        self
    }

    /// Runs commands through `app` (shared with this process's workers, so
    /// its commands wake them at once).
    #[must_use]
    pub fn with_write_side(mut self, write_side: Arc<WriteSide>) -> Self {
        self.state.write_side = write_side;
        self
    }

    /// Answers searches with `search` (Elasticsearch when configured).
    #[must_use]
    pub fn with_search(mut self, search: Search) -> Self {
        self.state.search = search;
        self
    }

    /// Reads queries, searches and read-your-writes waits from the hot
    /// standbys in `replicas` (probed while the application runs).
    #[must_use]
    pub fn with_replicas(mut self, replicas: Replicas) -> Self {
        self.state.replicas = replicas;
        self
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let purge = tokio::spawn(idempotency::purge_forever(self.state.idempotency.clone()));
        let probe = tokio::spawn(self.state.replicas.clone().probe_forever());
        let app = routes::router(AppState::new(self.state));
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .context("http server failed");
        purge.abort();
        probe.abort();
        served
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}
