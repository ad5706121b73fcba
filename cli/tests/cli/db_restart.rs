//! A database restart is an outage, not a fault. A real `bazaar serve`
//! (the API and every worker) runs on a private Postgres while several
//! tasks send commands with idempotency keys and queries, one after
//! another; the server is stopped for longer than the pools' acquire
//! timeout and started again, then restarted at once. Every answer is 2xx
//! or 503 with `Retry-After` (never a 500, never a broken connection), or,
//! for a resend of a refused command, briefly 409 in flight with
//! `Retry-After` while the server frees its first attempt's key;
//! every acknowledged command's event is in the store exactly once and a
//! resend replays it; each command that was not acknowledged, retried
//! with its key, runs exactly once; and the same process serves again,
//! commands and read-your-writes queries alike, without being restarted.

use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::{ConnectOptions, Row};

use crate::private_pg::PrivateCluster;
use crate::scratch::bazaar;

mod api;

use api::{Answer, Api, Command};

/// Tasks sending commands and queries at once.
const TASKS: usize = 6;
/// Longer than the pools' acquire timeout (5 s): requests made while the
/// server is down are refused, not only delayed.
const LONG_OUTAGE: Duration = Duration::from_secs(8);
/// Acknowledged commands to see before the first restart and after each.
const PROGRESS: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_under_load_answers_503_loses_nothing_and_recovers() {
    let cluster = Arc::new(PrivateCluster::start(
        "db-restart",
        &[("max_connections", "100"), ("shared_buffers", "16MB")],
    ));
    let port = free_port();
    let mut server = Server::start(&cluster, port);
    let api = Arc::new(Api::new(port));
    api.ready().await;
    api.warm_up().await;

    // Act: load from several tasks; one long outage, then a quick restart
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| tokio::spawn(load(Arc::clone(&api), task, Arc::clone(&stop))))
        .collect();
    api.wait_for_acknowledged(PROGRESS).await;
    restart(&cluster, LONG_OUTAGE).await;
    api.wait_for_acknowledged(PROGRESS).await;
    restart(&cluster, Duration::ZERO).await;
    api.wait_for_acknowledged(PROGRESS).await;
    stop.store(true, Ordering::Release);
    let mut sent = Vec::new();
    for task in tasks {
        sent.extend(task.await.expect("a load task"));
    }

    // Assert: the outage was answered as one, and only as one
    api.assert_every_answer_was_2xx_or_503_with_retry_after();
    let refused = sent.iter().filter(|(_, a)| !a.is_success()).count();
    assert!(
        refused > 0,
        "no command was refused during a {LONG_OUTAGE:?} outage"
    );

    // Assert: retries of the refused commands run them, resends replay the rest
    let mut applied = Vec::new();
    for (command, first) in &sent {
        let again = api.settle(command).await;
        if first.is_success() {
            assert_eq!(again.command_id(), first.command_id(), "{command:?}");
            assert!(again.replayed(), "a resend of {command:?} ran it again");
        }
        applied.push((command.clone(), again));
    }
    api.assert_every_answer_was_2xx_or_503_with_retry_after();
    assert_exactly_once(&cluster, &applied).await;

    // Assert: the same process serves commands and read-your-writes again
    api.ready().await;
    let fresh = Command::new(TASKS, 0);
    let answer = api.receive(&fresh).await;
    assert!(answer.is_success(), "{answer:?}");
    api.read_back_until_found(&fresh, &answer).await;
    assert!(server.running(), "bazaar serve exited");
    println!(
        "{} commands sent, {refused} refused during the restarts and applied once on retry; \
         answers: {}",
        sent.len(),
        api.summary()
    );
}

/// One task's load: a command on a new stock, its read-back with
/// `min_position` when acknowledged, and a plain query, until `stop`.
async fn load(api: Arc<Api>, task: usize, stop: Arc<AtomicBool>) -> Vec<(Command, Answer)> {
    let mut sent = Vec::new();
    for n in 0.. {
        if stop.load(Ordering::Acquire) {
            break;
        }
        let command = Command::new(task, n);
        let answer = api.receive(&command).await;
        if answer.is_success() {
            api.read_back(&command, &answer).await;
        }
        api.query_warm().await;
        sent.push((command, answer));
    }
    sent
}

async fn restart(cluster: &Arc<PrivateCluster>, down: Duration) {
    let cluster = Arc::clone(cluster);
    tokio::task::spawn_blocking(move || cluster.restart(down))
        .await
        .expect("postgres restarted");
}

/// Every command's stream holds exactly one event, written by the command
/// id of its final answer, and no other stream of the load has any.
async fn assert_exactly_once(cluster: &PrivateCluster, applied: &[(Command, Answer)]) {
    let mut connection = cluster
        .options("bazaar")
        .connect()
        .await
        .expect("bazaar database");
    let rows = sqlx::query(
        "select aggregate_id, metadata->>'command_id' as command_id, count(*) as events \
           from events where aggregate_id like 'rs-%' group by 1, 2",
    )
    .fetch_all(&mut connection)
    .await
    .expect("events counted");
    let mut found: Vec<(String, String, i64)> = rows
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect();
    let mut expected: Vec<(String, String, i64)> = applied
        .iter()
        .map(|(command, answer)| (command.stock_id(), answer.command_id(), 1))
        .collect();
    found.sort();
    expected.sort();
    assert_eq!(found.len(), expected.len(), "streams written");
    assert_eq!(found, expected, "each command's event exactly once");
}

/// The running `bazaar serve`, killed when dropped.
struct Server(Child);

impl Server {
    fn start(cluster: &PrivateCluster, port: u16) -> Self {
        let log = cluster.root().join("bazaar.log");
        Self(
            bazaar(&["serve"], &[])
                .env("DATABASE_URL", cluster.url("bazaar"))
                .env("BAZAAR_HTTP_ADDR", format!("127.0.0.1:{port}"))
                .env("BAZAAR_JWT_SECRET", crate::helpers::SECRET)
                .env("BAZAAR_RATE_LIMIT_PER_SECOND", "0")
                .env("RUST_LOG", "warn")
                .stdout(std::fs::File::create(log).expect("log file"))
                .stderr(Stdio::null())
                .spawn()
                .expect("bazaar serve starts"),
        )
    }

    fn running(&mut self) -> bool {
        matches!(self.0.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
