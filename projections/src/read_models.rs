//! The read models, one module each. Their tables, exposed to readers and
//! analytics teams as `read.<table>` views, are documented in
//! `docs/read-models/<name>.md`.

pub mod balances;
pub mod commissions;
pub mod escrows;
pub mod invoices;
pub mod orders;
pub mod stock;
pub(crate) mod table;
