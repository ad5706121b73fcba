//! The read models, one module each. Their tables are documented in
//! `docs/read-models.md` for analytics teams.
