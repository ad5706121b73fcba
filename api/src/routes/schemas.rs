//! The server's input rules as OpenAPI schemas, so that a client generated
//! from the document sends only what the server accepts, and the contract
//! check (`scripts/schemathesis.sh`) can hold the server to them.
//!
//! The rules themselves live in the domain (`bazaar_domain::ids`,
//! `bazaar_domain::text`, the aggregates' length limits, the currency
//! list); these schemas restate them and the unit tests below check each
//! schema against the domain's own parser, so the two cannot drift apart.

use std::borrow::Cow;

use utoipa::openapi::schema::{
    KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// A supported ISO 4217 currency (the search filters' schema, shared).
pub use bazaar_projections::search::schema::CurrencyFilter as CurrencyCode;

/// Ids: 1 to 64 ASCII letters, digits and `-_.:@` (`bazaar_domain::ids`).
pub const ID_PATTERN: &str = "^[A-Za-z0-9_.:@-]{1,64}$";

/// The control characters text may not hold: every Unicode `Cc` character
/// but tab, line feed and carriage return (`bazaar_domain::text`).
const CONTROL: &str = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F";

/// Text without control characters.
fn storable_pattern() -> String {
    format!("^[^{CONTROL}]*$")
}

/// Text without control characters and with at least one character that
/// is not white space (the aggregates refuse blank text).
fn non_blank_pattern() -> String {
    format!(r"^[^{CONTROL}]*[^\s{CONTROL}][^{CONTROL}]*$")
}

fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some(description))
}

macro_rules! doc_schema {
    ($(#[$doc:meta])* $name:ident, $schema:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema.into()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

doc_schema!(
    /// An id of anything: a vendor, a product, a batch, a payment, …
    Id,
    string("1 to 64 characters: ASCII letters, digits and `-_.:@`.")
        .pattern(Some(ID_PATTERN))
        .min_length(Some(1))
        .max_length(Some(64))
        .examples([serde_json::json!("v-alice")])
);

/// Free text of at most `max` characters (none: no limit but the body's).
fn text(description: &str, max: Option<usize>) -> ObjectBuilder {
    string(description)
        .pattern(Some(non_blank_pattern()))
        .min_length(Some(1))
        .max_length(max)
}

doc_schema!(
    /// A line's title.
    Title,
    text(
        "1 to 200 characters, not blank, no control characters (tab, CR and LF allowed).",
        Some(200)
    )
);
doc_schema!(
    /// A cancellation or return reason.
    Reason,
    text(
        "1 to 500 characters, not blank, no control characters (tab, CR and LF allowed).",
        Some(500)
    )
);
doc_schema!(
    /// A stock adjustment's or write-off's reason.
    StockReason,
    text(
        "1 to 200 characters, not blank, no control characters (tab, CR and LF allowed).",
        Some(200)
    )
);
doc_schema!(
    /// A parcel's tracking reference.
    Tracking,
    text(
        "1 to 100 characters, not blank, no control characters (tab, CR and LF allowed).",
        Some(100)
    )
);
doc_schema!(
    /// Free text without a length limit of its own (the body's applies).
    FreeText,
    text(
        "Not blank, no control characters (tab, CR and LF allowed).",
        None
    )
);
doc_schema!(
    /// Text searched for: anything without control characters.
    SearchText,
    string("Any text without control characters (tab, CR and LF allowed).")
        .pattern(Some(storable_pattern()))
        .max_length(Some(1_000))
);

doc_schema!(
    /// A stock change: units added (positive) or removed (negative).
    Delta,
    OneOfBuilder::new()
        .description(Some("-1,000,000 to -1, or 1 to 1,000,000: never zero."))
        .item(units(-1_000_000, -1))
        .item(units(1, 1_000_000))
);

fn units(minimum: i64, maximum: i64) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(minimum))
        .maximum(Some(maximum))
}

/// Why a stock hold was given up (`bazaar_domain::inventory::ReleaseReason`).
pub const RELEASE_REASONS: [&str; 4] = [
    "OrderCancelled",
    "PaymentExpired",
    "OrderRejected",
    "BatchExpired",
];
doc_schema!(
    /// Why a stock hold is given up.
    ReleaseReasonDoc,
    string("Why the hold is given up.").enum_values(Some(RELEASE_REASONS))
);

/// Why a payout failed (`bazaar_domain::payment_split::PayoutFailureReason`).
pub const PAYOUT_FAILURES: [&str; 5] = [
    "account_closed",
    "account_frozen",
    "invalid_account",
    "declined",
    "could_not_process",
];
doc_schema!(
    /// Why a payout failed.
    PayoutFailureReasonDoc,
    string("Why the payout failed, after the provider's failure codes.")
        .enum_values(Some(PAYOUT_FAILURES))
);

doc_schema!(
    /// An `Idempotency-Key` header: 1 to 255 visible ASCII characters.
    IdempotencyKey,
    string("1 to 255 visible ASCII characters (`!` to `~`).")
        .pattern(Some("^[!-~]{1,255}$"))
        .min_length(Some(1))
        .max_length(Some(255))
);

/// The aggregate types the audit trail takes: short names and stored names.
pub const AGGREGATE_TYPES: [&str; 9] = [
    "order",
    "payment_split",
    "inventory",
    "stock",
    "escrow",
    "Order",
    "PaymentSplit",
    "InventoryReservation",
    "Escrow",
];
doc_schema!(
    /// An aggregate type, by its short or its stored name.
    AggregateType,
    string("An aggregate type: a short name or the stored name.").enum_values(Some(AGGREGATE_TYPES))
);

/// Query parameters are absent or a value, never `null`: a query string
/// has no null. The generated schemas of `Option` fields allow `null`;
/// this drops it from every query parameter's type.
pub fn query_parameters_without_null(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let parameters = operation.parameters.iter_mut().flatten();
            for parameter in parameters.filter(|p| p.parameter_in == ParameterIn::Query) {
                if let Some(RefOr::T(Schema::Object(object))) = &mut parameter.schema {
                    if let SchemaType::Array(types) = &object.schema_type {
                        let kept: Vec<Type> = types
                            .iter()
                            .filter(|t| **t != Type::Null)
                            .cloned()
                            .collect();
                        if let [single] = kept.as_slice() {
                            object.schema_type = SchemaType::Type(single.clone());
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bazaar_domain::ids::VendorId;
    use bazaar_domain::text::Text;

    fn regex(pattern: &str) -> regex::Regex {
        regex::Regex::new(pattern).unwrap()
    }

    #[test]
    fn the_id_pattern_is_the_domain_rule() {
        let pattern = regex(ID_PATTERN);
        for value in [
            "v-1",
            "a@b.c:d_e",
            "",
            "x y",
            "é",
            &"a".repeat(64),
            &"a".repeat(65),
            "a\u{0}",
        ] {
            assert_eq!(
                pattern.is_match(value),
                VendorId::parse(value).is_ok(),
                "{value:?}"
            );
        }
    }

    #[test]
    fn the_text_patterns_refuse_what_the_domain_refuses() {
        let non_blank = regex(&non_blank_pattern());
        let storable = regex(&storable_pattern());
        for (value, blank) in [
            ("Apples", false),
            ("two\nlines\tand\r", false),
            ("   ", true),
            ("\u{a0}", true),
            ("nul\u{0}", false),
            ("esc\u{1b}[31m", false),
            ("del\u{7f}", false),
            ("c1\u{85}", false),
            ("", true),
        ] {
            let stored = Text::parse(value).is_ok();
            assert_eq!(storable.is_match(value), stored, "{value:?}");
            assert_eq!(non_blank.is_match(value), stored && !blank, "{value:?}");
        }
    }

    #[test]
    fn the_enums_are_the_domain_enums() {
        use bazaar_domain::inventory::ReleaseReason;
        use bazaar_domain::payment_split::PayoutFailureReason;
        for reason in RELEASE_REASONS {
            serde_json::from_value::<ReleaseReason>(reason.into()).unwrap();
        }
        for reason in PAYOUT_FAILURES {
            serde_json::from_value::<PayoutFailureReason>(reason.into()).unwrap();
        }
    }
}
