//! A client's query checked and normalized into what both backends run:
//! bad input gets a clear error here, once, whichever backend answers.
//! Cursors are the keyset cursors every list shares ([`crate::keyset`]).
//!
//! Times are compared to the millisecond, as the documents hold
//! `placed_at` ([`to_millisecond`]): a `placed_from` or `placed_before`
//! with a fraction of a millisecond is raised to the next millisecond here,
//! once, so both backends get the same bound and it keeps its meaning on
//! the documents (an order placed at `.001` is before `.0015`, so
//! `placed_from` `.0015` is `.002`; Elasticsearch would truncate it to
//! `.001`). A cursor's time is truncated: a cursor issued before documents
//! held milliseconds names its hit at the time that hit now holds.

use bazaar_domain::money::Currency;
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::keyset;

use super::document::to_millisecond;
use super::error::SearchError;
use super::request::{OrderSearch, Scope, StockSearch, DEFAULT_PAGE, MAX_PAGE};
use super::schema::{ORDER_STATUSES, VENDOR_STATUSES};

/// Vendor order statuses that are not sales (unpaid or cancelled).
pub const NOT_SALES: &[&str] = &["CREATED", "CANCELLED"];
/// Longest full-text query accepted.
const MAX_TEXT: usize = 200;

/// Where the last hit of a page sits in the order sort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderKey {
    /// Its `placed_at` (the vendor part's, equal to the order's).
    #[serde(rename = "p")]
    pub placed_at: DateTime<Utc>,
    /// Its order id.
    #[serde(rename = "o")]
    pub order_id: String,
}

/// Where the last hit of a stock page sits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockKey {
    /// Its stock id.
    #[serde(rename = "s")]
    pub stock_id: String,
}

/// A cursor token, or the search's bad-input error (`crate::keyset`).
fn decode_cursor<K: DeserializeOwned>(token: &str) -> Result<K, SearchError> {
    keyset::decode_cursor(token)
        .map_err(|_| SearchError::invalid("cursor is not a cursor this API issued"))
}

/// A checked order search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderCriteria {
    /// Whose documents.
    pub scope: Scope,
    /// Full text, trimmed, non-empty.
    pub text: Option<String>,
    /// Upper-case statuses of the scope's kind.
    pub statuses: Vec<String>,
    /// Orders with a part of this vendor (never set in vendor scope).
    pub vendor_id: Option<String>,
    /// Orders of this buyer (the scope's buyer in buyer scope).
    pub buyer_id: Option<String>,
    /// Placed at or after; a whole millisecond.
    pub placed_from: Option<DateTime<Utc>>,
    /// Placed before; a whole millisecond.
    pub placed_before: Option<DateTime<Utc>>,
    /// Currency code.
    pub currency: Option<String>,
    /// Amount range, minor units, inclusive.
    pub amount_min: Option<i64>,
    /// See `amount_min`.
    pub amount_max: Option<i64>,
    /// Hits per page.
    pub size: u32,
    /// Resume after this key.
    pub after: Option<OrderKey>,
}

impl OrderCriteria {
    /// Checks `search`.
    pub fn of(search: &OrderSearch) -> Result<Self, SearchError> {
        let q = &search.query;
        let (vendor_id, buyer_id) = scoped_ids(
            &search.scope,
            id("vendor_id", q.vendor_id.as_deref())?,
            id("buyer_id", q.buyer_id.as_deref())?,
        )?;
        let known = match search.scope {
            Scope::Vendor(_) => VENDOR_STATUSES,
            _ => ORDER_STATUSES,
        };
        let statuses = q
            .status
            .iter()
            .map(|s| status(s, known))
            .collect::<Result<Vec<_>, _>>()?;
        if let (Some(from), Some(before)) = (q.placed_from, q.placed_before) {
            if from >= before {
                return Err(SearchError::invalid(
                    "placed_from must be before placed_before",
                ));
            }
        }
        let (currency, amount_min, amount_max) =
            amounts(q.currency.as_deref(), q.amount_min, q.amount_max)?;
        Ok(Self {
            scope: search.scope.clone(),
            text: text(q.text.as_deref())?,
            statuses,
            vendor_id,
            buyer_id,
            placed_from: q.placed_from.map(millisecond_up).transpose()?,
            placed_before: q.placed_before.map(millisecond_up).transpose()?,
            currency,
            amount_min,
            amount_max,
            size: size(q.size)?,
            after: q
                .cursor
                .as_deref()
                .map(decode_cursor::<OrderKey>)
                .transpose()?
                .map(|key| OrderKey {
                    placed_at: to_millisecond(key.placed_at),
                    ..key
                }),
        })
    }

    /// The scope's vendor, in vendor scope.
    pub fn vendor_scope(&self) -> Option<&str> {
        match &self.scope {
            Scope::Vendor(id) => Some(id),
            _ => None,
        }
    }
}

/// A time bound as a whole millisecond, raised to the next one when it has
/// a fraction of one: on documents holding milliseconds, `>= t` and `< t`
/// select what `>=` and `<` that millisecond select.
fn millisecond_up(at: DateTime<Utc>) -> Result<DateTime<Utc>, SearchError> {
    let down = to_millisecond(at);
    if down == at {
        return Ok(at);
    }
    down.checked_add_signed(chrono::TimeDelta::milliseconds(1))
        .ok_or_else(|| SearchError::invalid("a placed_ bound is out of range"))
}

/// The vendor and buyer filters once the scope is applied: a filter naming
/// someone else than the scope's own party is refused.
fn scoped_ids(
    scope: &Scope,
    vendor: Option<String>,
    buyer: Option<String>,
) -> Result<(Option<String>, Option<String>), SearchError> {
    match scope {
        Scope::All => Ok((vendor, buyer)),
        Scope::Buyer(own) => {
            if buyer.as_ref().is_some_and(|b| b != own) {
                return Err(SearchError::invalid("buyer_id cannot name another buyer"));
            }
            Ok((vendor, Some(own.clone())))
        }
        Scope::Vendor(own) => {
            if vendor.as_ref().is_some_and(|v| v != own) {
                return Err(SearchError::invalid("vendor_id cannot name another vendor"));
            }
            Ok((None, buyer))
        }
    }
}

/// An id filter: absent, or an id as the domain has them
/// (`bazaar_domain::ids`); anything else names nothing and is refused.
fn id(field: &str, raw: Option<&str>) -> Result<Option<String>, SearchError> {
    match raw {
        None => Ok(None),
        Some(value) if bazaar_domain::ids::VendorId::parse(value).is_ok() => {
            Ok(Some(value.to_owned()))
        }
        Some(value) => Err(SearchError::invalid(format!(
            "{field} {value:?} is not an id (1-64 characters of letters, digits and -_.:@)"
        ))),
    }
}

fn status(raw: &str, known: &[&str]) -> Result<String, SearchError> {
    let upper = raw.trim().to_ascii_uppercase();
    if known.contains(&upper.as_str()) {
        Ok(upper)
    } else {
        Err(SearchError::invalid(format!(
            "unknown status {raw:?} (known: {})",
            known.join(", ")
        )))
    }
}

type Amounts = (Option<String>, Option<i64>, Option<i64>);

fn amounts(
    currency: Option<&str>,
    min: Option<i64>,
    max: Option<i64>,
) -> Result<Amounts, SearchError> {
    let currency = currency
        .map(|c| {
            Currency::parse(c.trim())
                .map(|c| c.to_string())
                .map_err(|_| SearchError::invalid(format!("unknown currency {c:?}")))
        })
        .transpose()?;
    if (min.is_some() || max.is_some()) && currency.is_none() {
        return Err(SearchError::invalid(
            "an amount range needs a currency: amounts are minor units of one currency",
        ));
    }
    if min.is_some_and(|m| m < 0) || max.is_some_and(|m| m < 0) {
        return Err(SearchError::invalid("amounts cannot be negative"));
    }
    if let (Some(min), Some(max)) = (min, max) {
        if min > max {
            return Err(SearchError::invalid("amount_min is above amount_max"));
        }
    }
    Ok((currency, min, max))
}

fn text(raw: Option<&str>) -> Result<Option<String>, SearchError> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > MAX_TEXT {
        return Err(SearchError::invalid(format!(
            "text is longer than {MAX_TEXT} characters"
        )));
    }
    Ok(Some(text.to_owned()))
}

fn size(raw: Option<u32>) -> Result<u32, SearchError> {
    match raw {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(SearchError::invalid(format!(
            "size must be 1 to {MAX_PAGE}"
        ))),
    }
}

/// A checked stock search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockCriteria {
    /// Whose view.
    pub scope: Scope,
    /// Full text.
    pub text: Option<String>,
    /// Exactly this SKU.
    pub sku: Option<String>,
    /// Exactly this warehouse.
    pub warehouse_id: Option<String>,
    /// At least this many available.
    pub min_available: Option<u64>,
    /// Next expiry strictly before.
    pub expiring_before: Option<NaiveDate>,
    /// Hits per page.
    pub size: u32,
    /// Resume after this key.
    pub after: Option<StockKey>,
}

impl StockCriteria {
    /// Checks `search`.
    pub fn of(search: &StockSearch) -> Result<Self, SearchError> {
        let q = &search.query;
        if q.min_available.is_some_and(|n| i64::try_from(n).is_err()) {
            return Err(SearchError::invalid("min_available is too large"));
        }
        Ok(Self {
            scope: search.scope.clone(),
            text: text(q.text.as_deref())?,
            sku: id("sku", q.sku.as_deref())?,
            warehouse_id: id("warehouse_id", q.warehouse_id.as_deref())?,
            min_available: q.min_available,
            expiring_before: q.expiring_before,
            size: size(q.size)?,
            after: q.cursor.as_deref().map(decode_cursor).transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::search::request::OrderQuery;

    fn at(micros: i64) -> DateTime<Utc> {
        Utc.timestamp_micros(1_800_000_000_000_000 + micros)
            .unwrap()
    }

    fn criteria(query: OrderQuery) -> OrderCriteria {
        OrderCriteria::of(&OrderSearch {
            scope: Scope::All,
            query,
        })
        .unwrap()
    }

    #[test]
    fn time_bounds_are_raised_to_the_next_whole_millisecond() {
        let c = criteria(OrderQuery {
            placed_from: Some(at(1_001)),
            placed_before: Some(at(3_000)),
            ..OrderQuery::default()
        });
        // an order at .001 is before .001001 and so not from it; at .003
        // it is not before .003
        assert_eq!(c.placed_from, Some(at(2_000)));
        assert_eq!(c.placed_before, Some(at(3_000)));
        let c = criteria(OrderQuery {
            placed_before: Some(at(2_999)),
            ..OrderQuery::default()
        });
        assert_eq!(c.placed_before, Some(at(3_000)));
    }

    #[test]
    fn a_cursor_with_microseconds_resumes_at_its_millisecond() {
        let cursor = keyset::encode_cursor(&OrderKey {
            placed_at: at(1_999),
            order_id: "o-1".into(),
        });
        let c = criteria(OrderQuery {
            cursor: Some(cursor),
            ..OrderQuery::default()
        });
        assert_eq!(c.after.unwrap().placed_at, at(1_000));
    }
}
