//! Scratch databases and runs of the real `bazaar` binary, for the tests
//! of its command line.

use std::process::{Command, Output, Stdio};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// A database name unique to this test process and `tag`, and the server.
pub(crate) struct Scratch {
    pub(crate) base: PgConnectOptions,
    pub(crate) name: String,
}

impl Scratch {
    pub(crate) fn new(tag: &str) -> Self {
        let base: PgConnectOptions = std::env::var("DATABASE_URL")
            .expect("DATABASE_URL set by the test script")
            .parse()
            .expect("DATABASE_URL is a postgres URL");
        let name = format!("bazaar_{tag}_{}", std::process::id());
        Self { base, name }
    }

    /// The URL of the scratch database (which may not exist yet).
    pub(crate) fn url(&self) -> String {
        self.base
            .clone()
            .database(&self.name)
            .to_url_lossy()
            .to_string()
    }

    /// Whether the database exists.
    pub(crate) async fn exists(&self) -> bool {
        let mut admin = self.base.connect().await.expect("server reachable");
        let found: bool =
            sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
                .bind(&self.name)
                .fetch_one(&mut admin)
                .await
                .unwrap();
        admin.close().await.unwrap();
        found
    }

    /// Creates the empty database.
    pub(crate) async fn create(&self) {
        self.admin(&format!("create database {}", self.name)).await;
    }

    /// Drops the database if it exists.
    pub(crate) async fn drop_database(&self) {
        self.admin(&format!(
            "drop database if exists {} with (force)",
            self.name
        ))
        .await;
    }

    async fn admin(&self, sql: &str) {
        let mut admin = self.base.connect().await.expect("server reachable");
        sqlx::query(sql).execute(&mut admin).await.unwrap();
        admin.close().await.unwrap();
    }
}

/// `bazaar` with `args`, a clean environment for its settings (so the
/// developer's shell cannot leak in) plus `env`, run to completion.
pub(crate) fn run_bazaar(args: &[&str], env: &[(&str, &str)]) -> Output {
    bazaar(args, env)
        .stdin(Stdio::null())
        .output()
        .expect("bazaar runs")
}

/// The command, not started.
pub(crate) fn bazaar(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bazaar"));
    command.args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("BAZAAR_")
            || name.starts_with("KAFKA_")
            || name.starts_with("OTEL_")
            || name == "DATABASE_URL"
            || name == "RUST_LOG"
        {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().copied());
    command
}
