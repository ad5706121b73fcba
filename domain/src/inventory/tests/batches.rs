//! Receiving, adjusting, writing off and restocking batches.

use super::*;

#[test]
fn a_received_batch_adds_to_availability() {
    framework()
        .given(history(vec![receive("b1", 5, Some(10))]))
        .when(receive("b2", 3, None))
        .then_expect_events(vec![Event::BatchReceived {
            sku: sku(),
            warehouse: warehouse(),
            vendor: vendor(),
            batch: batch("b2"),
            quantity: 3,
            expires_on: None,
            levels: levels(8, vec![level("b2", None, 3, 0)]),
            at: at(1, 8),
        }]);
}

#[test]
fn receiving_zero_or_more_than_the_maximum_is_rejected() {
    for quantity in [0, MAX_QUANTITY + 1] {
        framework()
            .given_no_previous_events()
            .when(receive("b1", quantity, None))
            .then_expect_error(Error::InvalidQuantity { quantity });
    }
}

#[test]
fn a_batch_of_another_sku_or_warehouse_is_rejected() {
    let mut command = receive("b2", 1, None);
    if let Command::ReceiveBatch { warehouse, .. } = &mut command {
        *warehouse = WarehouseId::parse("wh-2").unwrap();
    }
    framework()
        .given(history(vec![receive("b1", 5, None)]))
        .when(command)
        .then_expect_error(Error::StockMismatch {
            sku: sku(),
            warehouse: warehouse(),
        });
}

#[test]
fn another_vendor_cannot_receive_into_a_stock_it_does_not_own() {
    let mut command = receive("b2", 1, None);
    if let Command::ReceiveBatch { vendor, .. } = &mut command {
        *vendor = VendorId::parse("vendor-other").unwrap();
    }
    framework()
        .given(history(vec![receive("b1", 5, None)]))
        .when(command)
        .then_expect_error(Error::NotOwner { owner: vendor() });
}

#[test]
fn the_first_batch_makes_its_vendor_the_owner() {
    let mut stock = InventoryReservation::default();
    assert_eq!(stock.owner(), None);
    for event in history(vec![receive("b1", 5, None)]) {
        stock.apply(event);
    }
    assert_eq!(stock.owner(), Some(&vendor()));
}

#[test]
fn a_batch_id_cannot_be_received_twice() {
    framework()
        .given(history(vec![receive("b1", 5, None)]))
        .when(receive("b1", 5, None))
        .then_expect_error(Error::BatchAlreadyReceived { batch: batch("b1") });
}

#[test]
fn a_batch_past_its_last_good_day_is_not_received() {
    let mut command = receive("b1", 5, Some(3));
    if let Command::ReceiveBatch { at: when, .. } = &mut command {
        *when = at(4, 0);
    }
    framework()
        .given_no_previous_events()
        .when(command)
        .then_expect_error(Error::BatchAlreadyExpired {
            batch: batch("b1"),
            expires_on: day(3),
        });
}

fn adjust(name: &str, delta: i64, reason: &str) -> Command {
    Command::AdjustStock {
        batch: batch(name),
        delta,
        reason: reason.into(),
        at: at(1, 12),
    }
}

#[test]
fn a_cycle_count_adjusts_on_hand_with_its_reason() {
    framework()
        .given(history(vec![
            receive("b1", 5, Some(10)),
            reserve("r1", 2, 2, 0),
        ]))
        .when(adjust("b1", -3, "cycle count"))
        .then_expect_events(vec![Event::StockAdjusted {
            sku: sku(),
            warehouse: warehouse(),
            batch: batch("b1"),
            delta: -3,
            reason: "cycle count".into(),
            levels: levels(0, vec![level("b1", Some(10), 2, 2)]),
            at: at(1, 12),
        }]);
}

#[test]
fn an_adjustment_of_zero_or_more_than_the_maximum_is_rejected() {
    for delta in [0, i64::from(MAX_QUANTITY) + 1, i64::MIN] {
        framework()
            .given(history(vec![receive("b1", 5, None)]))
            .when(adjust("b1", delta, "count"))
            .then_expect_error(Error::InvalidAdjustment { delta });
    }
}

#[test]
fn an_adjustment_needs_a_short_non_blank_reason() {
    for reason in ["", "  ", &"x".repeat(201)] {
        framework()
            .given(history(vec![receive("b1", 5, None)]))
            .when(adjust("b1", 1, reason))
            .then_expect_error(Error::InvalidReason);
    }
}

#[test]
fn an_adjustment_never_takes_on_hand_below_zero() {
    framework()
        .given(history(vec![receive("b1", 5, None)]))
        .when(adjust("b1", -6, "shrinkage"))
        .then_expect_error(Error::AdjustmentBelowZero {
            batch: batch("b1"),
            on_hand: 5,
        });
}

#[test]
fn an_adjustment_never_takes_on_hand_below_reserved() {
    framework()
        .given(history(vec![
            receive("b1", 5, None),
            reserve("r1", 3, 2, 0),
        ]))
        .when(adjust("b1", -3, "shrinkage"))
        .then_expect_error(Error::AdjustmentBelowReserved {
            batch: batch("b1"),
            reserved: 3,
        });
}

#[test]
fn an_adjustment_of_an_unknown_batch_is_rejected() {
    framework()
        .given(history(vec![receive("b1", 5, None)]))
        .when(adjust("b9", 1, "found"))
        .then_expect_error(Error::UnknownBatch { batch: batch("b9") });
}

/// A batch holding `u32::MAX` units, which no command can produce in a test's time.
fn full_batch() -> Event {
    Event::BatchReceived {
        sku: sku(),
        warehouse: warehouse(),
        vendor: vendor(),
        batch: batch("b1"),
        quantity: u32::MAX,
        expires_on: None,
        levels: levels(u64::from(u32::MAX), vec![level("b1", None, u32::MAX, 0)]),
        at: at(1, 8),
    }
}

#[test]
fn an_adjustment_past_the_quantity_range_is_rejected() {
    framework()
        .given(vec![full_batch()])
        .when(adjust("b1", 1, "found"))
        .then_expect_error(Error::QuantityOutOfRange);
}

fn restock(name: Option<&str>, quantity: u32, when: DateTime<Utc>) -> Command {
    Command::RestockReturn {
        batch: name.map(batch),
        quantity,
        reason: "rma-7".into(),
        at: when,
    }
}

#[test]
fn a_return_goes_back_into_its_batch() {
    framework()
        .given(history(vec![
            receive("b1", 5, Some(10)),
            receive("b2", 5, Some(4)),
        ]))
        .when(restock(Some("b1"), 2, at(2, 9)))
        .then_expect_events(vec![Event::ReturnRestocked {
            sku: sku(),
            warehouse: warehouse(),
            batch: batch("b1"),
            batch_inferred: false,
            quantity: 2,
            reason: "rma-7".into(),
            levels: levels(12, vec![level("b1", Some(10), 7, 0)]),
            at: at(2, 9),
        }]);
}

#[test]
fn a_return_of_unknown_batch_joins_the_unexpired_batch_that_expires_first() {
    let given = history(vec![
        receive("b1", 5, Some(3)),
        receive("b2", 5, None),
        receive("b3", 5, Some(9)),
    ]);
    let events = run(&given, restock(None, 2, at(4, 9))).unwrap();
    assert!(matches!(
        &events[..],
        [Event::ReturnRestocked { batch, batch_inferred: true, .. }] if *batch == super::batch("b3")
    ));
}

#[test]
fn a_return_into_an_expired_batch_is_rejected() {
    framework()
        .given(history(vec![receive("b1", 5, Some(3))]))
        .when(restock(Some("b1"), 1, at(4, 9)))
        .then_expect_error(Error::BatchExpired {
            batch: batch("b1"),
            expires_on: day(3),
        });
}

#[test]
fn a_return_of_unknown_batch_needs_an_unexpired_batch() {
    framework()
        .given(history(vec![receive("b1", 5, Some(3))]))
        .when(restock(None, 1, at(4, 9)))
        .then_expect_error(Error::NoBatchForReturn);
}

#[test]
fn a_return_into_an_unknown_batch_is_rejected() {
    framework()
        .given(history(vec![receive("b1", 5, None)]))
        .when(restock(Some("b9"), 1, at(1, 9)))
        .then_expect_error(Error::UnknownBatch { batch: batch("b9") });
}

#[test]
fn a_return_of_zero_units_is_rejected() {
    framework()
        .given(history(vec![receive("b1", 5, None)]))
        .when(restock(None, 0, at(1, 9)))
        .then_expect_error(Error::InvalidQuantity { quantity: 0 });
}

#[test]
fn a_return_needs_a_reason() {
    let command = Command::RestockReturn {
        batch: None,
        quantity: 1,
        reason: " ".into(),
        at: at(1, 9),
    };
    framework()
        .given(history(vec![receive("b1", 5, None)]))
        .when(command)
        .then_expect_error(Error::InvalidReason);
}

#[test]
fn a_return_past_the_quantity_range_is_rejected() {
    framework()
        .given(vec![full_batch()])
        .when(restock(Some("b1"), 1, at(1, 9)))
        .then_expect_error(Error::QuantityOutOfRange);
}
