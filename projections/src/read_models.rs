//! The read models, one module each. Their tables, exposed to readers and
//! analytics teams as `read.<table>` views, are documented in
//! `docs/read-models/`.

pub mod balances;
pub mod orders;
