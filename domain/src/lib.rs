//! Bazaar's domain: the Order, PaymentSplit, InventoryReservation and Escrow
//! aggregates (cqrs-es 0.5), their commands, events and errors, and money.
//!
//! Pure decisions only: no IO and no clock reads. Facts a decision needs,
//! including "now" for time-based transitions, travel in the command; the
//! durable scheduler in `commands/` supplies them. Command ids, retries and
//! idempotency by command id live in `commands/`; the aggregates make
//! repeated business operations (commit a reservation twice, say) harmless
//! where the domain contract asks for it. `docs/domain.md` states that
//! contract: every aggregate's commands, events, invariants and policies,
//! and the checkout saga.
//!
//! # Layout
//! - [`money`]: amounts in minor units, currencies, fee rates, allocation.
//! - [`ids`]: identifier newtypes.
//! - [`inventory`]: stock per SKU and warehouse, batches and reservations.
//! - [`escrow`]: funds held until the buyer has what they paid for.
//! - [`order`]: one buyer order, split per vendor, from placement to return.
//! - [`payment_split`]: who gets what of a captured payment.
//! - [`text`]: free text storage can hold (no control characters).

pub mod escrow;
pub mod ids;
pub mod inventory;
pub mod money;
pub mod order;
pub mod payment_split;
pub mod text;

#[cfg(test)]
mod contract_doc;
