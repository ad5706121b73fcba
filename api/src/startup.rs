//! Building the application and serving it until shutdown.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use bazaar_projections::relay::RelayHealth;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::routes;
use crate::state::AppState;

/// A bound, not yet running, HTTP application.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Binds `addr` (port 0 picks a free port) over an open pool. The
    /// Kafka relay is reported `off` unless [`Self::with_relay`] says more.
    pub async fn build(pool: PgPool, addr: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        Ok(Self {
            listener,
            state: AppState {
                pool,
                relay: RelayHealth::off(),
            },
        })
    }

    /// Reports the Kafka relay that `health` follows on `/health/ready`.
    #[must_use]
    pub fn with_relay(mut self, health: RelayHealth) -> Self {
        self.state.relay = health;
        self
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let app = routes::router(self.state);
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .context("http server failed")
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
