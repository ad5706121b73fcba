//! Auditors' questions that need the aggregates themselves: which
//! aggregate a name means, and what one looked like as of a sequence
//! number or an instant.
//!
//! The fold runs each aggregate's own `apply` over its events, read
//! through the same store (and so the same upcasters) the write side uses:
//! the state shown is the state the aggregate decided with at that point.
//! The other audit tools (history, log, export, verification, checkpoints)
//! need no aggregate code and live in `bazaar_event_store::audit`.

use bazaar_domain::escrow::Escrow;
use bazaar_domain::inventory::InventoryReservation;
use bazaar_domain::order::Order;
use bazaar_domain::payment_split::PaymentSplit;
use bazaar_event_store::audit::{AggregateState, AuditError, Result, StateRequest};
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use crate::app::WriteSide;

/// The aggregates of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AggregateKind {
    /// Buyer orders (`Order`).
    Order,
    /// Who gets what of a captured payment (`PaymentSplit`).
    PaymentSplit,
    /// Stock per SKU and warehouse (`InventoryReservation`).
    InventoryReservation,
    /// Funds held until delivery (`Escrow`).
    Escrow,
}

impl AggregateKind {
    /// Every aggregate.
    pub const ALL: [Self; 4] = [
        Self::Order,
        Self::PaymentSplit,
        Self::InventoryReservation,
        Self::Escrow,
    ];

    /// The aggregate type as the store records it (never changes).
    pub fn stored_name(self) -> &'static str {
        match self {
            Self::Order => Order::TYPE,
            Self::PaymentSplit => PaymentSplit::TYPE,
            Self::InventoryReservation => InventoryReservation::TYPE,
            Self::Escrow => Escrow::TYPE,
        }
    }

    /// The aggregate a name means: the stored name (`InventoryReservation`)
    /// or a short one (`order`, `payment_split` or `split`, `inventory` or
    /// `stock`, `escrow`), in any case, with `_` or `-` or neither.
    pub fn parse(name: &str) -> Result<Self> {
        let key: String = name
            .chars()
            .filter(|c| !matches!(c, '_' | '-'))
            .flat_map(char::to_lowercase)
            .collect();
        match key.as_str() {
            "order" | "orders" => Ok(Self::Order),
            "paymentsplit" | "split" => Ok(Self::PaymentSplit),
            "inventoryreservation" | "inventory" | "stock" => Ok(Self::InventoryReservation),
            "escrow" | "escrows" => Ok(Self::Escrow),
            _ => Err(AuditError::InvalidRequest(format!(
                "unknown aggregate type {name:?}; use order, payment_split, inventory (stock) or escrow"
            ))),
        }
    }
}

/// The state of `request`'s aggregate as of its bound, folded with the
/// aggregate's own `apply`.
pub async fn state_as_of(app: &WriteSide, request: &StateRequest) -> Result<AggregateState> {
    let bound = request.bound()?;
    let id = &request.aggregate_id;
    match AggregateKind::parse(&request.aggregate_type)? {
        AggregateKind::Order => app.orders.store().state_as_of(id, bound).await,
        AggregateKind::PaymentSplit => app.splits.store().state_as_of(id, bound).await,
        AggregateKind::InventoryReservation => app.stock.store().state_as_of(id, bound).await,
        AggregateKind::Escrow => app.escrows.store().state_as_of(id, bound).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_and_short_names_mean_the_same_aggregate() {
        for kind in AggregateKind::ALL {
            assert_eq!(AggregateKind::parse(kind.stored_name()).unwrap(), kind);
        }
        for (name, kind) in [
            ("order", AggregateKind::Order),
            ("payment_split", AggregateKind::PaymentSplit),
            ("Payment-Split", AggregateKind::PaymentSplit),
            ("inventory", AggregateKind::InventoryReservation),
            ("stock", AggregateKind::InventoryReservation),
            ("ESCROW", AggregateKind::Escrow),
        ] {
            assert_eq!(AggregateKind::parse(name).unwrap(), kind, "{name}");
        }
        assert!(matches!(
            AggregateKind::parse("ledger"),
            Err(AuditError::InvalidRequest(_))
        ));
    }
}
