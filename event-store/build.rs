//! `sqlx::migrate!` embeds `migrations/` at compile time, but cargo does
//! not know the macro reads that folder: without this, adding a migration
//! leaves a stale migrator in incremental builds.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
