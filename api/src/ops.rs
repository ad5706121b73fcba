//! The operations endpoints of a process that serves no API (`bazaar
//! workers`, `bazaar relay`): `/health/live`, `/health/ready` and
//! `/metrics` on an address of their own (`BAZAAR_OPS_ADDR`), so an
//! orchestrator can probe every process and Prometheus scrape its worker
//! counters. The routes and their meaning are the API's own
//! ([`crate::routes::health`], [`crate::http::metrics`]); `bazaar serve`
//! and `bazaar api` serve them on the API's address instead.
//!
//! Readiness here means what it means for the API: the database answers
//! at the schema this build expects and the Kafka relay, if this process
//! runs it, is not `down`.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use axum::routing::get;
use axum::Router;
use bazaar_projections::relay::RelayHealth;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::http::layers;
use crate::read::replicas::Replicas;
use crate::routes::{docs, health};
use crate::state::Probe;

/// Longest an operations request may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Operations requests have no body.
const BODY_LIMIT: usize = 1024;

/// A bound, not yet running, operations server.
pub struct OpsServer {
    listener: TcpListener,
    probe: Probe,
}

impl OpsServer {
    /// Binds `addr` and installs the process's metrics exporter, so the
    /// workers started after it record into it.
    pub async fn bind(addr: SocketAddr, pool: PgPool, relay: RelayHealth) -> anyhow::Result<Self> {
        crate::http::metrics::handle();
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on BAZAAR_OPS_ADDR {addr}"))?;
        Ok(Self {
            listener,
            probe: Probe {
                pool,
                relay,
                replicas: Replicas::default(),
            },
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let routes = Router::new()
            .merge(health::router())
            .route("/metrics", get(docs::scrape));
        let app = layers::around(routes, TIMEOUT, BODY_LIMIT).with_state(self.probe);
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .context("operations server failed")
    }
}
