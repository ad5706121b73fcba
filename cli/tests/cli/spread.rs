//! Three `bazaar workers` processes spread the elected parts (the seven
//! projections and the checkout saga) over themselves: none holds them
//! all, each holds at least one. One is killed with SIGKILL while stock is
//! received: the other two take over all its parts once its heartbeat
//! expires (the bound is stated in `docs/operations.md`; the test polls
//! for up to 60 s, as the test machine may be loaded, and prints the time
//! taken), and every command is applied exactly once by the read models.

use std::collections::BTreeSet;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use bazaar_domain::ids::{BatchId, Sku, VendorId, WarehouseId};
use bazaar_domain::inventory::InventoryReservationCommand;
use bazaar_event_store::EventMetadata;
use bazaar_runtime::workers::{elected_parts, Parts};
use sqlx::PgPool;
use uuid::Uuid;

use crate::scratch::{bazaar, run_bazaar, Scratch};

const PROCESSES: usize = 3;
/// Stock batches received, one unit each, while a process is killed.
const BATCHES: i64 = 120;

#[tokio::test]
async fn workers_spread_their_parts_and_take_over_those_of_a_killed_process() {
    let scratch = Scratch::new("spread");
    scratch.drop_database().await;
    let url = scratch.url();
    let migrated = run_bazaar(&["migrate"], &[("DATABASE_URL", &url)]);
    assert!(migrated.status.success(), "{migrated:?}");
    let mut children: Vec<Child> = (0..PROCESSES).map(|_| spawn(&url)).collect();
    let pool = PgPool::connect(&url).await.unwrap();
    let parts: BTreeSet<String> = elected_parts(&Parts::all(), (false, false))
        .into_iter()
        .collect();

    let pids: Vec<i32> = children.iter().map(|c| c.id() as i32).collect();
    let spread = eventually(|| spread_over(&pool, &pids, &parts)).await;
    let victim = pids[0];
    let victim_parts = spread.as_ref().and_then(|s| {
        s.iter()
            .find(|(pid, _)| *pid == victim)
            .map(|(_, held)| held.clone())
    });

    let app = bazaar_commands::WriteSide::new(pool.clone());
    let received = tokio::spawn(receive(app, BATCHES));
    tokio::time::sleep(Duration::from_millis(500)).await;
    children[0].kill().expect("SIGKILL");
    children[0].wait().unwrap();
    let killed = Instant::now();
    let survivors = &pids[1..];
    let taken_over = eventually(|| spread_over(&pool, survivors, &parts)).await;
    let took = killed.elapsed();
    received.await.unwrap();
    let applied = eventually(|| async {
        let (on_hand, batches): (i64, i64) = sqlx::query_as(
            "select coalesce(sum(on_hand), 0)::bigint, count(*) from read.stock_batches",
        )
        .fetch_one(&pool)
        .await
        .ok()?;
        let caught_up = caught_up(&pool).await;
        (on_hand >= BATCHES && caught_up).then_some((on_hand, batches))
    })
    .await;

    for child in &mut children[1..] {
        let _ = child.kill();
        let _ = child.wait();
    }
    pool.close().await;
    scratch.drop_database().await;

    let spread = spread.expect("the parts were never spread over the three processes");
    println!("spread: {spread:?}");
    let victim_parts = victim_parts.expect("the victim held parts");
    let taken_over = taken_over.unwrap_or_else(|| {
        panic!("the parts of the killed process ({victim_parts:?}) were not taken over within the poll bound")
    });
    println!("taken over in {took:?}: {taken_over:?}");
    assert_eq!(applied, Some((BATCHES, BATCHES)), "every unit once");
}

/// `bazaar workers` on `url`.
fn spawn(url: &str) -> Child {
    bazaar(&["workers"], &[("DATABASE_URL", url)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("bazaar starts")
}

/// What each of `pids` holds (its live `worker_members` row), if they hold
/// exactly `parts` between them and each holds some but not all.
async fn spread_over(
    pool: &PgPool,
    pids: &[i32],
    parts: &BTreeSet<String>,
) -> Option<Vec<(i32, BTreeSet<String>)>> {
    let rows: Vec<(i32, Vec<String>)> = sqlx::query_as(
        "select pid, held from worker_members \
          where heartbeat_at > clock_timestamp() - interval '5 seconds' order by pid",
    )
    .fetch_all(pool)
    .await
    .ok()?;
    let held: Vec<(i32, BTreeSet<String>)> = rows
        .into_iter()
        .filter(|(pid, _)| pids.contains(pid))
        .map(|(pid, held)| (pid, held.into_iter().collect()))
        .collect();
    let mut all = BTreeSet::new();
    let mut count = 0;
    for (_, parts) in &held {
        count += parts.len();
        all.extend(parts.iter().cloned());
    }
    let each = held.len() == pids.len()
        && held
            .iter()
            .all(|(_, h)| !h.is_empty() && h.len() < parts.len());
    let locks = session_locks(pool).await? as usize;
    (each && all == *parts && count == parts.len() && locks == parts.len()).then_some(held)
}

/// Election locks held in the database (each part's lock, by any process).
async fn session_locks(pool: &PgPool) -> Option<i64> {
    sqlx::query_scalar(
        "select count(*) from pg_locks where locktype = 'advisory' and granted and objsubid = 2 \
            and classid in (hashtext('projection')::oid, hashtext('saga')::oid) \
            and database = (select oid from pg_database where datname = current_database())",
    )
    .fetch_one(pool)
    .await
    .ok()
}

/// Whether every live projection has applied the whole log.
async fn caught_up(pool: &PgPool) -> bool {
    let behind: Option<i64> = sqlx::query_scalar(
        "select count(*) from projection p where p.status = 'live' \
            and exists (select 1 from events e where (e.tx_id, e.global_position) > (p.tx_id, p.position))",
    )
    .fetch_one(pool)
    .await
    .ok();
    behind == Some(0)
}

/// Receives `n` batches of one unit of apple at wh-1.
async fn receive(app: bazaar_commands::WriteSide, n: i64) {
    for b in 0..n {
        let command = InventoryReservationCommand::ReceiveBatch {
            sku: Sku::parse("apple").unwrap(),
            warehouse: WarehouseId::parse("wh-1").unwrap(),
            vendor: VendorId::parse("vendor-a").unwrap(),
            batch: BatchId::parse(format!("b-{b}")).unwrap(),
            quantity: 1,
            expires_on: None,
            at: chrono::Utc::now(),
        };
        let meta = EventMetadata::for_command(Uuid::now_v7(), "admin:test");
        app.stock
            .execute("apple@wh-1", command, &meta)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `probe` (every 100 ms, for at most 60 s) until it answers.
async fn eventually<T, F, Fut>(probe: F) -> Option<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(found) = probe().await {
            return Some(found);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}
