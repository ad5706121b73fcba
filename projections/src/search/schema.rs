//! OpenAPI schemas of the search request's enumerated fields: the
//! statuses a filter names and the currencies, listed from the same
//! constants the checks use ([`super::criteria`], `bazaar_domain::money`),
//! so the document the API serves cannot drift from what it accepts.

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::criteria::{ORDER_STATUSES, VENDOR_STATUSES};

/// A status an order search filters on: an order status, or in a vendor's
/// scope a vendor order status.
#[derive(Debug, Clone, Copy)]
pub struct OrderStatusFilter;

impl PartialSchema for OrderStatusFilter {
    fn schema() -> RefOr<Schema> {
        let mut known: Vec<&str> = ORDER_STATUSES.to_vec();
        known.extend(
            VENDOR_STATUSES
                .iter()
                .filter(|s| !ORDER_STATUSES.contains(s)),
        );
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .description(Some(
                "An order status (buyers, admins, auditors) or a vendor order status \
                 (vendors): an order status a vendor order never has, or the reverse, \
                 answers 400 `invalid-search`.",
            ))
            .enum_values(Some(known))
            .into()
    }
}

impl ToSchema for OrderStatusFilter {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("OrderStatusFilter")
    }
}

/// A supported ISO 4217 currency code.
#[derive(Debug, Clone, Copy)]
pub struct CurrencyFilter;

impl PartialSchema for CurrencyFilter {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .description(Some("A supported ISO 4217 code."))
            .enum_values(Some(bazaar_domain::money::currency::codes()))
            .into()
    }
}

impl ToSchema for CurrencyFilter {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CurrencyCode")
    }
}
