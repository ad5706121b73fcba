//! A stock document lists only the batches that hold units, so it does not
//! grow with the stock's history; its totals still count every batch.

use bazaar_commands::WriteSide;
use bazaar_domain::ids::BatchId;
use bazaar_domain::inventory::InventoryReservationCommand as Command;
use bazaar_projections::read_models::stock::Stock;
use bazaar_projections::search::document::StockDoc;
use bazaar_projections::search::store::SearchDocs;
use bazaar_testkit::read;
use sqlx::types::Json;
use sqlx::PgPool;

use crate::stock::world::{self, at, date, SKU};

async fn doc(pool: &PgPool) -> StockDoc {
    let Json(doc) = sqlx::query_scalar("select doc from read.search_stock")
        .fetch_one(pool)
        .await
        .unwrap();
    doc
}

fn batch_ids(doc: &StockDoc) -> Vec<&str> {
    doc.batches.iter().map(|b| b.batch_id.as_str()).collect()
}

/// The document's totals, as the stock read model has them.
async fn levels(pool: &PgPool) -> (u64, u64, u64) {
    let (available, on_hand, reserved): (i64, i64, i64) =
        sqlx::query_as("select available, on_hand, reserved from read.stock_levels")
            .fetch_one(pool)
            .await
            .unwrap();
    let unsigned = |n: i64| u64::try_from(n).unwrap();
    (unsigned(available), unsigned(on_hand), unsigned(reserved))
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_batch_that_holds_no_units_leaves_the_document_until_units_return(pool: PgPool) {
    let app = WriteSide::new(pool.clone());
    let generation = read::live(&pool, &SearchDocs).await;
    let stock = read::live(&pool, &Stock).await;
    world::receive_and_reserve(&app).await;
    read::catch_up(&pool, &SearchDocs, generation).await;
    assert_eq!(batch_ids(&doc(&pool).await), ["b-early", "b-late"]);

    // b-early is written off: it holds nothing and leaves the list
    world::settle_and_write_off(&app).await;
    read::catch_up(&pool, &SearchDocs, generation).await;
    read::catch_up(&pool, &Stock, stock).await;
    let written_off = doc(&pool).await;
    assert_eq!(batch_ids(&written_off), ["b-late"]);
    let totals = (
        written_off.available,
        written_off.on_hand,
        written_off.reserved,
    );
    assert_eq!(totals, (14, 19, 5));
    assert_eq!(totals, levels(&pool).await);
    assert_eq!(written_off.next_expiry, Some(date(12, 31)));
    assert_eq!(written_off.text, format!("{SKU}@w1 {SKU} w1 b-late"));

    // a unit found on it again brings it back, with its levels
    let found = Command::AdjustStock {
        batch: BatchId::parse("b-early").unwrap(),
        delta: 1,
        reason: "found on the shelf".to_owned(),
        at: at(9, 9, 0),
    };
    world::run(&app, SKU, found).await;
    read::catch_up(&pool, &SearchDocs, generation).await;
    let back = doc(&pool).await;
    assert_eq!(batch_ids(&back), ["b-early", "b-late"]);
    let early = &back.batches[0];
    let levels = (early.expires_on, early.on_hand, early.reserved, early.free);
    assert_eq!(levels, (Some(date(11, 5)), 1, 0, 1));
    assert_eq!((back.on_hand, back.reserved), (20, 5));
}
