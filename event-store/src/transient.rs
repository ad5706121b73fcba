//! Telling load apart from faults, once, for every error type.
//!
//! A database that is momentarily full, restarting or contended is not a
//! bug of the server: the same request succeeds a moment later, so the
//! API answers 503 with `Retry-After` instead of 500. Each error type of
//! the workspace says whether it is such a failure by implementing
//! [`Transient`]; they all end up asking [`sqlx_is_transient`], the one
//! list of causes, so no caller classifies by matching strings.
//!
//! The causes (Postgres SQLSTATEs from its "Errors and Messages" appendix):
//! - `53300` too many connections, `53000` insufficient resources;
//! - `57P01` admin shutdown, `57P02` crash shutdown, `57P03` cannot
//!   connect now (starting or in recovery);
//! - class `08`, connection exceptions;
//! - `40001` serialization failure, `40P01` deadlock (callers retry these a
//!   bounded number of times first);
//! - `55P03` lock not available (a `lock_timeout` under contention);
//! - and from the client side: no pooled connection free within the
//!   acquire timeout, a closed pool (shutting down), and I/O errors
//!   (connection refused or reset).
//!
//! [`DbCause`] prints what an operator needs of a database error — its
//! SQLSTATE, message, constraint, table and column — and never the
//! statement's bound values or the server's `DETAIL` (which quotes rows).

use std::fmt;

use sqlx::postgres::PgDatabaseError;

/// An error that may go away by itself: retry later rather than report a
/// fault.
pub trait Transient {
    /// Whether the failure comes from load or a momentarily unavailable
    /// database, so the same request can succeed later.
    fn is_transient(&self) -> bool;
}

/// SQLSTATEs of load or of a database that is momentarily unavailable.
const TRANSIENT_CODES: &[&str] = &[
    "53300", "53000", "57P01", "57P02", "57P03", "40001", "40P01", "55P03",
];

/// SQLSTATEs a writer may retry at once: the transaction lost a race.
const RETRYABLE_CODES: &[&str] = &["40001", "40P01"];

/// Whether `error` comes from load or an unavailable database.
pub fn sqlx_is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || TRANSIENT_CODES.contains(&&*code)),
        _ => false,
    }
}

/// Whether `error` is a serialization failure or a deadlock: the
/// transaction can be run again as it is.
pub fn sqlx_is_retryable(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|db| db.code())
        .is_some_and(|code| RETRYABLE_CODES.contains(&&*code))
}

impl Transient for sqlx::Error {
    fn is_transient(&self) -> bool {
        sqlx_is_transient(self)
    }
}

/// What a database error says about its cause, for logs: SQLSTATE,
/// message, constraint, table and column, never bound values.
#[derive(Debug, Clone, Copy)]
pub struct DbCause<'a>(pub &'a sqlx::Error);

impl DbCause<'_> {
    /// The first sqlx error in `error`'s chain of sources, if any.
    pub fn find<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<DbCause<'e>> {
        let mut next = Some(error);
        while let Some(current) = next {
            if let Some(sqlx) = current.downcast_ref::<sqlx::Error>() {
                return Some(DbCause(sqlx));
            }
            next = current.source();
        }
        None
    }
}

impl fmt::Display for DbCause<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(db) = self.0.as_database_error() else {
            return match self.0 {
                sqlx::Error::PoolTimedOut => f.write_str(
                    "no pooled connection within the acquire timeout \
                     (pool exhausted, or the server refuses new connections)",
                ),
                other => write!(f, "{other}"),
            };
        };
        write!(
            f,
            "sqlstate={} message={:?}",
            db.code().as_deref().unwrap_or("?"),
            db.message()
        )?;
        if let Some(constraint) = db.constraint() {
            write!(f, " constraint={constraint}")?;
        }
        if let Some(pg) = db.try_downcast_ref::<PgDatabaseError>() {
            if let Some(table) = pg.table() {
                write!(f, " table={table}")?;
            }
            if let Some(column) = pg.column() {
                write!(f, " column={column}")?;
            }
        }
        Ok(())
    }
}

/// `error` and every source below it, joined by `": "`.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(source) = next {
        let part = source.to_string();
        if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        next = source.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] sqlx::Error);

    #[test]
    fn pool_timeouts_and_io_are_transient_and_bugs_are_not() {
        assert!(sqlx_is_transient(&sqlx::Error::PoolTimedOut));
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(sqlx_is_transient(&sqlx::Error::Io(reset)));
        assert!(!sqlx_is_transient(&sqlx::Error::RowNotFound));
        assert!(!sqlx_is_transient(&sqlx::Error::ColumnNotFound("x".into())));
    }

    #[test]
    fn the_chain_names_every_cause_and_finds_the_database_error() {
        let error = Outer(sqlx::Error::PoolTimedOut);
        assert_eq!(
            chain(&error),
            "outer: pool timed out while waiting for an open connection"
        );
        let cause = DbCause::find(&error).expect("a sqlx error in the chain");
        assert!(cause.to_string().contains("acquire timeout"));
    }
}
