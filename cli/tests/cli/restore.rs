//! Logical dumps restore with the standard tools (docs/operations.md,
//! "Backups"): same events, ids and hashes, chains verified, schema
//! current. A whole-database dump goes into a new, empty database; a
//! data-only dump of the event tables into one `bazaar migrate` prepared
//! (the chain trigger then recomputes every hash while restoring).

use std::process::Command;

use sqlx::{ConnectOptions, Connection};

use crate::scratch::{run_bazaar, Scratch};

type Row = (String, String, i64, String, Vec<u8>);

#[tokio::test]
async fn a_whole_database_dump_restores_into_an_empty_database() {
    restores("dump_full", &["-Fc"], &[], false).await;
}

#[tokio::test]
async fn a_data_only_dump_of_the_event_tables_restores_into_a_migrated_database() {
    let tables = [
        "-Fc",
        "--data-only",
        "-t",
        "events",
        "-t",
        "snapshots",
        "-t",
        "command_log",
        "-t",
        "scheduled_command",
        "-t",
        "subscription_checkpoint",
    ];
    restores("dump_data", &tables, &["--data-only"], true).await;
}

/// Dumps a database holding three events with `dump_args`, restores it
/// with `restore_args` into a new one (migrated first if `migrate_target`)
/// and checks that the events and their chains survived.
async fn restores(tag: &str, dump_args: &[&str], restore_args: &[&str], migrate_target: bool) {
    let (source, target) = (
        Scratch::new(&format!("{tag}_src")),
        Scratch::new(&format!("{tag}_dst")),
    );
    let migrated = run_bazaar(&["migrate"], &[("DATABASE_URL", &source.url())]);
    assert!(migrated.status.success());
    target.create().await;
    if migrate_target {
        assert!(run_bazaar(&["migrate"], &[("DATABASE_URL", &target.url())])
            .status
            .success());
    }
    let mut src = source
        .base
        .clone()
        .database(&source.name)
        .connect()
        .await
        .unwrap();
    sqlx::query(
        "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         values ('Order', 'o-1', 1, 'OrderPlaced', '1.0', '{\"n\": 1}', '{}'), \
                ('Order', 'o-1', 2, 'PaymentConfirmed', '1.0', '{\"n\": 2}', '{}'), \
                ('Escrow', 'o-1', 1, 'EscrowCreated', '1.0', '{\"n\": 3}', '{}')",
    )
    .execute(&mut src)
    .await
    .unwrap();
    let before = rows(&mut src).await;
    src.close().await.unwrap();
    // libpq does not know sqlx's URL parameters
    let libpq = |scratch: &Scratch| scratch.url().split('?').next().unwrap().to_owned();
    let dump = std::env::temp_dir().join(format!("bazaar-{tag}-{}.dump", std::process::id()));

    let dumped = Command::new("pg_dump")
        .args(dump_args)
        .arg("-f")
        .arg(&dump)
        .arg(libpq(&source))
        .output()
        .expect("pg_dump runs");
    let restored = Command::new("pg_restore")
        .args(restore_args)
        .args(["--exit-on-error", "-d", &libpq(&target)])
        .arg(&dump)
        .output()
        .expect("pg_restore runs");
    let pool = sqlx::PgPool::connect(&target.url()).await.unwrap();
    let after = rows(&mut pool.acquire().await.unwrap()).await;
    let verification = bazaar_event_store::verify_all(&pool).await.unwrap();
    pool.close().await;
    let remigrated = run_bazaar(&["migrate"], &[("DATABASE_URL", &target.url())]);

    let _ = std::fs::remove_file(&dump);
    source.drop_database().await;
    target.drop_database().await;
    assert!(
        dumped.status.success(),
        "{}",
        String::from_utf8_lossy(&dumped.stderr)
    );
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    assert_eq!(after.len(), 3);
    assert_eq!(after, before, "same events, ids and hashes");
    assert_eq!(verification.events, 3);
    assert!(verification.broken.is_none(), "{:?}", verification.broken);
    assert!(
        remigrated.status.success(),
        "the restored schema is current"
    );
}

async fn rows(conn: &mut sqlx::PgConnection) -> Vec<Row> {
    sqlx::query_as(
        "select aggregate_type, aggregate_id, sequence, event_id::text, hash from events \
          order by aggregate_type, aggregate_id, sequence",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}
