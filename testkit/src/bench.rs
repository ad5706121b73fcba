//! What the benchmarks share: their settings from the environment and the
//! scratch database they fill. Benchmarks are dev-only like the tests, so
//! their helpers live here rather than once per bench binary.

use std::str::FromStr;

use bazaar_event_store::PgSettings;
use sqlx::PgPool;

/// `name` from the environment, parsed, or `default` when unset or not a
/// `T`.
pub fn env_or<T: FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A pool of `max_connections` on the scratch database `DATABASE_URL`
/// names, migrated.
pub async fn scratch_pool(max_connections: u32) -> PgPool {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL names a scratch database");
    let mut settings = PgSettings::new(url);
    settings.max_connections = max_connections;
    let pool = bazaar_event_store::connect(&settings).expect("pool");
    bazaar_event_store::migrate(&pool).await.expect("migrate");
    pool
}
