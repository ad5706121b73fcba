//! Shapes several resources share, as the OpenAPI document shows them.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::routes::schemas::CurrencyCode;

/// A positive amount of money: integer minor units (cents, yen, fils) of
/// an ISO 4217 currency. Never a float.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": 1999, "currency": "EUR"}))]
pub struct MoneyDoc {
    /// Minor units, at least 1.
    #[schema(minimum = 1)]
    pub amount: i64,
    /// ISO 4217 code, e.g. `EUR`, `JPY`, `KWD`.
    #[schema(value_type = CurrencyCode)]
    pub currency: String,
}

/// An amount of money that may be zero: integer minor units of an ISO
/// 4217 currency.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": 0, "currency": "EUR"}))]
pub struct MoneyOrZeroDoc {
    /// Minor units, zero or more.
    #[schema(minimum = 0)]
    pub amount: i64,
    /// ISO 4217 code, e.g. `EUR`, `JPY`, `KWD`.
    #[schema(value_type = CurrencyCode)]
    pub currency: String,
}

/// A body with only a reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// Why, for the other party and support (1 to 500 characters).
    #[schema(value_type = crate::routes::schemas::Reason)]
    pub reason: String,
}

/// A body with only a reason, for escrows (no length limit of its own).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscrowReasonBody {
    /// Why, for the other party and support: not blank.
    #[schema(value_type = crate::routes::schemas::FreeText)]
    pub reason: String,
}

/// Read-your-writes for a single resource.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Consistency {
    /// A command's `position`: wait until the read model has applied it.
    #[param(pattern = "^[0-9]{1,18}-[0-9]{1,18}$")]
    pub min_position: Option<String>,
}
