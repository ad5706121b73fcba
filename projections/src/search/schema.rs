//! The search request's enumerated fields: the statuses a filter may name
//! (checked in [`super::criteria`]) and their OpenAPI schemas, with the
//! currencies', listed from the same constants the checks use (these and
//! `bazaar_domain::money`), so the document the API serves cannot drift
//! from what it accepts. The statuses live here, not with the checks, so
//! that the request types can name these schemas without importing the
//! checks that import the request types.

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// Order statuses a buyer or admin may filter on.
pub const ORDER_STATUSES: &[&str] = &[
    "AWAITING_PAYMENT",
    "PAID",
    "PARTIALLY_SHIPPED",
    "SHIPPED",
    "PARTIALLY_DELIVERED",
    "DELIVERED",
    "COMPLETED",
    "CANCELLED",
    "PAYMENT_EXPIRED",
];
/// Vendor order statuses a vendor may filter on.
pub const VENDOR_STATUSES: &[&str] = &[
    "CREATED",
    "PAID",
    "PACKED",
    "PARTIALLY_SHIPPED",
    "SHIPPED",
    "DELIVERED",
    "COMPLETED",
    "CANCELLED",
];

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
