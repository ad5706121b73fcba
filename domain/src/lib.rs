//! Bazaar's domain: the Order, PaymentSplit, InventoryReservation and Escrow
//! aggregates (cqrs-es 0.5), their commands, events and errors, and the money
//! type. Pure decisions only: no IO, no clock reads; facts a decision needs
//! are put into the command.
//!
//! The aggregates are built by the domain issue on top of the event store;
//! this crate exists now so that the dependency direction
//! (`domain` ← `event-store`, `commands`, `projections` ← `api`) is fixed
//! from the start.
