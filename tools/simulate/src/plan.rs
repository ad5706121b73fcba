//! A simulated order drawn before it starts: its cart and the path it
//! will go through (happy, cancelled, returned, disputed, …). Every choice
//! comes from the order's own generator, so a seed replays the same orders.

use serde_json::{json, Value};

use super::catalog::{Catalog, Sku, WAREHOUSE};
use super::rng::Rng;

/// What a simulated order will go through, drawn before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    /// Paid, shipped, delivered, accepted, released, completed.
    Happy,
    /// The buyer cancels before paying.
    CancelUnpaid,
    /// The buyer cancels after paying.
    CancelPaid,
    /// One vendor cancels its part after payment (multi-vendor orders).
    VendorCancel,
    /// The buyer sends one unit back.
    Return,
    /// The buyer disputes one vendor's delivery.
    Dispute,
}

/// One cart line.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    /// 1-based place in the cart.
    pub(crate) line_no: u32,
    /// The seller.
    pub(crate) vendor: String,
    /// What is bought.
    pub(crate) sku: Sku,
    /// How many.
    pub(crate) quantity: u32,
}

/// A simulated order, drawn from the run's seed.
#[derive(Debug, Clone)]
pub(crate) struct OrderPlan {
    /// Its number in the run (from 1).
    pub(crate) number: u64,
    /// Who buys.
    pub(crate) buyer: String,
    /// The order's currency.
    pub(crate) currency: String,
    /// The cart.
    pub(crate) lines: Vec<Line>,
    /// What happens to it.
    pub(crate) path: Path,
    /// For returns: whether the unit comes back damaged (not restocked).
    pub(crate) damaged: bool,
    /// For disputes: the share of the disputed amount refunded, in percent.
    pub(crate) dispute_refund_percent: i64,
    /// Whether finance pays the vendors out at once after release.
    pub(crate) instant_payout: bool,
}

impl OrderPlan {
    /// Order `number` of a run over `catalog`, drawn from `seed`.
    pub(crate) fn draw(catalog: &Catalog, currencies: &[String], seed: u64, number: u64) -> Self {
        let mut rng = Rng::derived(seed, number);
        let buyer = catalog.buyers[rng.index(catalog.buyers.len())].clone();
        let currency = currencies[rng.index(currencies.len())].clone();
        let lines = draw_lines(catalog, &mut rng);
        let vendors = vendors_of(&lines).len();
        let path = match rng.range(0, 99) {
            0..=54 => Path::Happy,
            55..=62 => Path::CancelUnpaid,
            63..=70 => Path::CancelPaid,
            71..=77 if vendors > 1 => Path::VendorCancel,
            71..=77 => Path::Happy,
            78..=88 => Path::Return,
            _ => Path::Dispute,
        };
        Self {
            number,
            buyer,
            currency,
            lines,
            path,
            damaged: rng.chance(30),
            dispute_refund_percent: i64::try_from(rng.range(1, 4)).unwrap_or(1) * 25,
            instant_payout: rng.chance(50),
        }
    }

    /// The order's total.
    pub(crate) fn total(&self) -> i64 {
        self.lines.iter().map(line_total).sum()
    }

    /// The vendors of the order, in cart order.
    pub(crate) fn vendors(&self) -> Vec<String> {
        vendors_of(&self.lines)
    }

    /// One vendor's subtotal.
    pub(crate) fn subtotal(&self, vendor: &str) -> i64 {
        self.lines
            .iter()
            .filter(|l| l.vendor == vendor)
            .map(line_total)
            .sum()
    }

    /// The body of `POST /v1/orders` for this cart.
    pub(crate) fn body(&self) -> Value {
        let lines: Vec<Value> = self
            .lines
            .iter()
            .map(|line| {
                json!({
                    "product": format!("p-{}", line.sku.sku),
                    "sku": line.sku.sku,
                    "warehouse": WAREHOUSE,
                    "vendor": line.vendor,
                    "title": format!("{} ({})", line.sku.sku, line.vendor),
                    "quantity": line.quantity,
                    "unit_price": {"amount": line.sku.unit_price, "currency": self.currency},
                })
            })
            .collect();
        json!({"currency": self.currency, "lines": lines})
    }
}

fn line_total(line: &Line) -> i64 {
    line.sku.unit_price * i64::from(line.quantity)
}

fn vendors_of(lines: &[Line]) -> Vec<String> {
    let mut vendors: Vec<String> = Vec::new();
    for line in lines {
        if !vendors.contains(&line.vendor) {
            vendors.push(line.vendor.clone());
        }
    }
    vendors
}

/// One to three vendors, one or two distinct SKUs each, one to three units.
fn draw_lines(catalog: &Catalog, rng: &mut Rng) -> Vec<Line> {
    let wanted = rng.range(1, 3).min(catalog.vendors.len() as u64) as usize;
    let first = rng.index(catalog.vendors.len());
    let mut lines = Vec::new();
    for k in 0..wanted {
        let vendor = &catalog.vendors[(first + k) % catalog.vendors.len()];
        let skus = rng.range(1, 2) as usize;
        let start = rng.index(vendor.skus.len());
        for s in 0..skus.min(vendor.skus.len()) {
            let sku = vendor.skus[(start + s) % vendor.skus.len()].clone();
            lines.push(Line {
                line_no: u32::try_from(lines.len() + 1).unwrap_or(u32::MAX),
                vendor: vendor.id.clone(),
                sku,
                quantity: u32::try_from(rng.range(1, 3)).unwrap_or(1),
            });
        }
    }
    lines
}
