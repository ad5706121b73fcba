//! The marketplace a run plays in: its vendors, their SKUs with prices,
//! its buyers, and the perishable stock the vendors receive before the
//! first order.
//!
//! Every id carries the run's tag (`sim-xxxxxxxx-…`), so runs against the
//! same database never share a vendor, SKU or buyer: a run's vendor
//! balances are exactly what that run did, which is what makes its
//! reconciliation exact. Each SKU gets three batches with different expiry
//! dates: one expiring tomorrow (the checkout saga must skip it: it would
//! spoil before the ship date), one in ten days and one in ninety, so
//! first-expiry-first-out allocation has something to choose from.

use chrono::{Duration, Utc};
use serde_json::json;

use super::client::{Api, CallError, Who};
use super::rng::Rng;

/// SKUs each vendor sells.
const SKUS_PER_VENDOR: u32 = 3;
/// Units an order takes on average (vendors × lines × quantity), for sizing stock.
const UNITS_PER_ORDER: u64 = 6;
/// Warehouse of every simulated SKU.
pub(crate) const WAREHOUSE: &str = "wh-sim";

/// One SKU on sale.
#[derive(Debug, Clone)]
pub(crate) struct Sku {
    /// The stock keeping unit (also names the product `p-<sku>`).
    pub(crate) sku: String,
    /// Price of one unit, minor units of whatever currency the order uses.
    pub(crate) unit_price: i64,
}

/// A vendor and what it sells.
#[derive(Debug, Clone)]
pub(crate) struct Vendor {
    /// The vendor id.
    pub(crate) id: String,
    /// Its SKUs.
    pub(crate) skus: Vec<Sku>,
}

/// The run's vendors and buyers.
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    /// Vendors, at least one.
    pub(crate) vendors: Vec<Vendor>,
    /// Buyer ids, at least one.
    pub(crate) buyers: Vec<String>,
}

impl Catalog {
    /// `vendors` vendors and `buyers` buyers tagged `run`, prices from `rng`.
    pub(crate) fn new(run: &str, vendors: u32, buyers: u32, rng: &mut Rng) -> Self {
        let vendors = (1..=vendors.max(1))
            .map(|v| {
                let id = format!("{run}-v{v:02}");
                let skus = (1..=SKUS_PER_VENDOR)
                    .map(|s| Sku {
                        sku: format!("{id}-s{s}"),
                        // 1.99 to 59.99 in steps of 0.05 (cents; yen for JPY)
                        unit_price: i64::try_from(rng.range(40, 1200)).unwrap_or(40) * 5 - 1,
                    })
                    .collect();
                Vendor { id, skus }
            })
            .collect();
        let buyers = (1..=buyers.max(1))
            .map(|b| format!("{run}-b{b:03}"))
            .collect();
        Self { vendors, buyers }
    }

    /// Every vendor receives its batches (three per SKU, sized for
    /// `orders` orders); returns how many batches were received.
    pub(crate) async fn stock_up(
        &self,
        api: &Api,
        run: &str,
        orders: u64,
    ) -> Result<u64, CallError> {
        let skus = (self.vendors.len() as u64 * u64::from(SKUS_PER_VENDOR)).max(1);
        let per_sku = (orders * UNITS_PER_ORDER).div_ceil(skus) * 2 + 20;
        let today = Utc::now().date_naive();
        let batches = [
            ("soon", Duration::days(1), 5),
            ("fresh", Duration::days(10), per_sku / 2),
            ("long", Duration::days(90), per_sku - per_sku / 2),
        ];
        let mut received = 0;
        for vendor in &self.vendors {
            let who = Who::Vendor(vendor.id.clone());
            for sku in &vendor.skus {
                for (name, life, quantity) in batches {
                    let body = json!({
                        "batch": format!("{}-{name}", sku.sku),
                        "quantity": quantity,
                        "expires_on": (today + life).to_string(),
                    });
                    let path = format!("/v1/stock/{}/{WAREHOUSE}/batches", sku.sku);
                    let key = format!("{run}-stock-{}-{name}", sku.sku);
                    api.post(&who, &path, &body, &key).await?;
                    received += 1;
                }
            }
        }
        Ok(received)
    }
}
