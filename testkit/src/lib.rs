//! What the workspace's tests share (a dev-dependency only): harnesses
//! that run the real thing over a real database, never mocks.
//!
//! # Layout
//! - [`app`]: the API on port 0 over a fresh database, optionally with
//!   its workers, and tokens for every role.

pub mod app;
