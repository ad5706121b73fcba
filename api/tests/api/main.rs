//! API tests: the real application on port 0 over a fresh, real database.

mod health;
mod helpers;
mod migrate;
mod serve;
