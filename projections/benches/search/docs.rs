//! The documents every search figure runs on: `BENCH_ORDERS` order
//! documents drawn from a fixed pseudo-random sequence (buyers, vendors,
//! titles, statuses and dates), so every run and both backends search the
//! same data, written through the search projection's own write.

use std::time::Instant;

use bazaar_projections::generation::ensure_live;
use bazaar_projections::search::document::{LineDoc, OrderDoc, VendorPart};
use bazaar_projections::search::rows::write_orders;
use bazaar_projections::search::store::SearchDocs;
use chrono::{Duration, TimeZone, Utc};
use sqlx::PgPool;

/// The words of line titles (and of the text searches).
pub(crate) const WORDS: &[&str] = &[
    "apple", "bread", "cheese", "olive", "oil", "honey", "coffee", "tea", "rice", "salt", "pepper",
    "wine", "butter", "pasta", "flour", "sugar", "lemon", "garlic", "tomato", "basil",
];
const STATUSES: &[(&str, &str)] = &[
    ("AWAITING_PAYMENT", "CREATED"),
    ("PAID", "PAID"),
    ("SHIPPED", "SHIPPED"),
    ("DELIVERED", "DELIVERED"),
    ("COMPLETED", "COMPLETED"),
    ("CANCELLED", "CANCELLED"),
];

/// A deterministic xorshift sequence.
struct Draw(u64);

impl Draw {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

fn order(n: u64, draw: &mut Draw) -> OrderDoc {
    let placed = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
        + Duration::minutes(draw.next(525_600) as i64);
    let (status, part_status) = STATUSES[draw.next(STATUSES.len() as u64) as usize];
    let mut line_no = 0;
    let vendors: Vec<VendorPart> = (0..1 + draw.next(3))
        .map(|_| {
            let lines: Vec<LineDoc> = (0..1 + draw.next(4))
                .map(|_| {
                    line_no += 1;
                    let word = WORDS[draw.next(WORDS.len() as u64) as usize];
                    let (quantity, unit_price) =
                        (1 + draw.next(5) as u32, 100 + draw.next(5_000) as i64);
                    LineDoc {
                        line_no,
                        product_id: format!("p-{word}-{}", draw.next(100)),
                        sku: format!("sku-{word}-{}", draw.next(100)),
                        warehouse_id: "w1".into(),
                        title: format!(
                            "{word} {} grade",
                            WORDS[draw.next(WORDS.len() as u64) as usize]
                        ),
                        quantity,
                        unit_price,
                        line_total: unit_price * i64::from(quantity),
                        shipped: 0,
                        returned: 0,
                        refunded: 0,
                    }
                })
                .collect();
            VendorPart {
                vendor_id: format!("vendor-{}", draw.next(50)),
                status: part_status.into(),
                subtotal: lines.iter().map(|l| l.line_total).sum(),
                refunded: 0,
                currency: "EUR".into(),
                placed_at: placed,
                tracking: None,
                packed_at: None,
                shipped_at: None,
                delivered_at: None,
                completed_at: None,
                cancelled_at: None,
                lines,
                text: String::new(),
            }
        })
        .collect();
    let mut vendors = vendors;
    vendors.sort_by(|a, b| a.vendor_id.cmp(&b.vendor_id));
    vendors.dedup_by(|a, b| a.vendor_id == b.vendor_id);
    let mut doc = OrderDoc {
        order_id: format!("o-{n:07}"),
        buyer_id: format!("buyer-{}", draw.next(5_000)),
        status: status.into(),
        currency: "EUR".into(),
        total: vendors.iter().map(|v| v.subtotal).sum(),
        refunded: 0,
        placed_at: placed,
        paid_at: None,
        cancelled_at: None,
        updated_at: placed,
        vendors,
        text: String::new(),
    };
    doc.refresh_text();
    doc
}

pub(crate) async fn seed(pool: &PgPool, orders: u64) {
    let generation = ensure_live(pool, &SearchDocs).await.unwrap();
    let schema = generation.schema();
    let mut draw = Draw(0x9E37_79B9_7F4A_7C15);
    let started = Instant::now();
    for chunk in (0..orders).collect::<Vec<_>>().chunks(1_000) {
        let mut tx = bazaar_event_store::pool::begin(pool).await.unwrap();
        sqlx::raw_sql(&format!("set local search_path = {schema}, public"))
            .execute(&mut *tx)
            .await
            .unwrap();
        let docs: Vec<OrderDoc> = chunk.iter().map(|n| order(*n, &mut draw)).collect();
        let versioned: Vec<(&OrderDoc, i64)> = docs.iter().map(|d| (d, 1)).collect();
        write_orders(&mut tx, &versioned).await.unwrap();
        tx.commit().await.unwrap();
    }
    sqlx::raw_sql(&format!(
        "analyze {schema}.search_orders; analyze {schema}.search_order_vendors; \
         analyze {schema}.search_facet_status; analyze {schema}.search_facet_sales"
    ))
    .execute(pool)
    .await
    .unwrap();
    eprintln!(
        "seeded {orders} orders in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
