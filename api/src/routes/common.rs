//! Shapes several resources share, as the OpenAPI document shows them.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An amount of money: integer minor units (cents, yen, fils) of an
/// ISO 4217 currency. Never a float.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"amount": 1999, "currency": "EUR"}))]
pub struct MoneyDoc {
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code, e.g. `EUR`, `JPY`, `KWD`.
    pub currency: String,
}

/// A body with only a reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// Why, for the other party and support (1 to 500 characters).
    pub reason: String,
}

/// Read-your-writes for a single resource.
#[derive(Debug, Deserialize, IntoParams)]
pub struct Consistency {
    /// A command's `position`: wait until the read model has applied it.
    pub min_position: Option<String>,
}
