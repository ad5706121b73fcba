//! Agent-brokered escrow sales, and their reconciliation.
//!
//! Beside the checkout orders, the run sells `--agent-sales` whole
//! deals through escrows an admin opens for a buyer and a vendor of the
//! catalogue, brokered by one of two agents of the run, half at a rate in
//! basis points, half for a fixed commission. Each deal is funded, and
//! each of its one to three milestones is released whole, released in a
//! partial release and the rest, or partly refunded and the rest
//! released.
//!
//! The reconciliation checks, per sale and to the minor unit, that the
//! agent's commission + the seller's proceeds + the platform fee equal
//! what left the escrow for the seller: as the commissions read model
//! shows it (read with the agent's own token), as the escrow's events
//! tell it (each `FundsReleased` and its `settlement`, folded here) and as
//! the simulator released it; and that the commission paid and forfeited
//! agree between the read model and the events.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::catalog::Catalog;
use super::client::{Api, CallError, Who};
use super::reconcile::Check;
use super::rng::Rng;
use super::tally::Failure;

/// One brokered sale the simulator made.
#[derive(Debug, Clone)]
pub(crate) struct Sale {
    /// The escrow.
    pub(crate) escrow: String,
    /// Its agent.
    pub(crate) agent: String,
    /// Its currency.
    pub(crate) currency: String,
    /// What the simulator released to the seller, in total.
    pub(crate) released: i64,
}

/// Runs `count` brokered sales; the sales made and the unexpected answers.
pub(crate) async fn run(
    api: &Api,
    (tag, catalog, currencies): (&str, &Catalog, &[String]),
    count: u32,
    seed: u64,
) -> (Vec<Sale>, Vec<Failure>) {
    let (mut sales, mut failures) = (Vec::new(), Vec::new());
    for n in 1..=u64::from(count) {
        let mut rng = Rng::derived(seed ^ 0xA6E7, n);
        let currency = currencies[rng.index(currencies.len())].clone();
        match sell(api, (tag, catalog, &currency), n, &mut rng).await {
            Ok(sale) => sales.push(sale),
            Err((step, error)) => failures.push(Failure {
                order: n,
                step: format!("brokered sale: {step}"),
                status: error.status(),
                problem: error.problem(),
                detail: error.to_string(),
            }),
        }
    }
    (sales, failures)
}

type Step = (&'static str, CallError);

async fn sell(
    api: &Api,
    (tag, catalog, currency): (&str, &Catalog, &str),
    n: u64,
    rng: &mut Rng,
) -> Result<Sale, Step> {
    let money = |amount: u64| json!({"amount": amount, "currency": currency});
    let parts: Vec<u64> = (0..rng.range(1, 3))
        .map(|_| rng.range(5_000, 500_000))
        .collect();
    let total: u64 = parts.iter().sum();
    let commission = if n % 2 == 0 {
        json!({"bps": rng.range(50, 1_500)})
    } else {
        json!({"fixed": money(total * rng.range(1, 5) / 100)})
    };
    let agent = format!("{tag}-ag{}", n % 2 + 1);
    let milestones: Vec<Value> = parts
        .iter()
        .enumerate()
        .map(|(i, cents)| json!({"milestone": format!("m-{i}"), "description": "hand over part of the business", "amount": money(*cents)}))
        .collect();
    let terms = json!({
        "buyer": catalog.buyers[rng.index(catalog.buyers.len())],
        "seller": catalog.vendors[rng.index(catalog.vendors.len())].id,
        "currency": currency, "amount": money(total), "milestones": milestones,
        "inspection_period_days": 7, "dispute_window_hours": 72,
        "agent": {"agent_id": agent, "commission": commission},
    });
    let key = |step: &str| format!("{tag}-s{n}-{step}");
    let created = api
        .post(&Who::Admin, "/v1/escrows", &terms, &key("create"))
        .await
        .map_err(|e| ("create", e))?;
    let escrow = created["aggregate_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let at = |tail: &str| format!("/v1/escrows/{escrow}/{tail}");
    let funding = json!({"payment_id": key("pay"), "amount": money(total)});
    api.post(&Who::Admin, &at("funding"), &funding, &key("fund"))
        .await
        .map_err(|e| ("fund", e))?;
    let mut released = 0;
    for (i, cents) in parts.iter().enumerate() {
        let m = format!("m-{i}");
        let cut = rng.range(1, cents - 1);
        let rest = match rng.index(3) {
            0 => *cents,
            1 => {
                let body = json!({"amount": money(cut)});
                let path = at(&format!("milestones/{m}/partial-release"));
                api.post(&Who::Admin, &path, &body, &key(&format!("{m}-part")))
                    .await
                    .map_err(|e| ("partial release", e))?;
                released += cut;
                cents - cut
            }
            _ => {
                let body = json!({"milestone": m, "amount": money(cut), "reason": "part of the stock was sold off"});
                api.post(
                    &Who::Admin,
                    &at("refunds"),
                    &body,
                    &key(&format!("{m}-refund")),
                )
                .await
                .map_err(|e| ("refund", e))?;
                cents - cut
            }
        };
        let path = at(&format!("milestones/{m}/release"));
        api.post(
            &Who::Admin,
            &path,
            &json!({}),
            &key(&format!("{m}-release")),
        )
        .await
        .map_err(|e| ("release", e))?;
        released += rest;
    }
    Ok(Sale {
        escrow,
        agent,
        currency: currency.to_owned(),
        released: i64::try_from(released).unwrap_or(i64::MAX),
    })
}

/// One escrow's releases and refunds as its events tell them.
#[derive(Debug, Clone, Default)]
struct Folded {
    released: i64,
    commission: i64,
    platform_fee: i64,
    seller_proceeds: i64,
    forfeited: i64,
}

/// The checks of every sale, the read model read at the position of the
/// last event of the sales.
pub(crate) async fn reconcile(
    api: &Api,
    sales: &[Sale],
    from: &str,
) -> Result<Vec<Check>, CallError> {
    if sales.is_empty() {
        return Ok(Vec::new());
    }
    let (folded, position) = fold(api, sales, from).await?;
    let mut rows: BTreeMap<String, Value> = BTreeMap::new();
    let mut agents: Vec<&str> = sales.iter().map(|s| s.agent.as_str()).collect();
    agents.sort_unstable();
    agents.dedup();
    for agent in agents {
        let mut path = format!("/v1/agents/{agent}/commissions?limit=200");
        if let Some(p) = &position {
            path.push_str(&format!("&min_position={p}"));
        }
        let page = api.get(&Who::Agent(agent.to_owned()), &path).await?;
        for row in page["items"].as_array().into_iter().flatten() {
            rows.insert(
                row["escrow_id"].as_str().unwrap_or_default().to_owned(),
                row.clone(),
            );
        }
    }
    let mut checks = Vec::new();
    for sale in sales {
        let row = rows.get(&sale.escrow).cloned().unwrap_or(Value::Null);
        let f = folded.get(&sale.escrow).cloned().unwrap_or_default();
        let n = |field: &str| row[field].as_i64().unwrap_or_default();
        let name = |what: &str| format!("escrow {} {} {what}", sale.escrow, sale.currency);
        checks.push(Check::new(
            name("commission + seller proceeds + platform fee = released"),
            n("paid") + n("seller_proceeds") + n("platform_fee"),
            f.commission + f.seller_proceeds + f.platform_fee,
            Some(sale.released),
        ));
        checks.push(Check::new(
            name("released"),
            n("released"),
            f.released,
            Some(sale.released),
        ));
        checks.push(Check::new(
            name("commission paid"),
            n("paid"),
            f.commission,
            None,
        ));
        checks.push(Check::new(
            name("platform fee"),
            n("platform_fee"),
            f.platform_fee,
            None,
        ));
        checks.push(Check::new(
            name("commission forfeited"),
            n("forfeited"),
            f.forfeited,
            None,
        ));
    }
    Ok(checks)
}

/// The sales' escrow events folded per escrow, and the position of the
/// last one.
async fn fold(
    api: &Api,
    sales: &[Sale],
    from: &str,
) -> Result<(BTreeMap<String, Folded>, Option<String>), CallError> {
    let mut folded: BTreeMap<String, Folded> = sales
        .iter()
        .map(|s| (s.escrow.clone(), Folded::default()))
        .collect();
    let mut position: Option<(u64, i64)> = None;
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("/v1/audit/events?aggregate_type=escrow&from={from}&limit=1000");
        if let Some(cursor) = &after {
            path.push_str(&format!("&after={cursor}"));
        }
        let page = api.get(&Who::Auditor, &path).await?;
        for event in page["events"].as_array().into_iter().flatten() {
            let id = event["aggregate_id"].as_str().unwrap_or_default();
            let Some(sums) = folded.get_mut(id) else {
                continue;
            };
            if let (Some(tx), Some(p)) =
                (event["tx_id"].as_u64(), event["global_position"].as_i64())
            {
                position = position.max(Some((tx, p)));
            }
            add(sums, &event["payload"]);
        }
        if page["more"] != true {
            break;
        }
        after = page["next"].as_str().map(str::to_owned);
    }
    Ok((folded, position.map(|(tx, p)| format!("{tx}-{p}"))))
}

/// Adds one event's movements: a release and its settlement, or a
/// refund's forfeited commission.
fn add(sums: &mut Folded, payload: &Value) {
    let cents = |v: &Value| v["amount"].as_i64().unwrap_or_default();
    if let Some(release) = payload.get("FundsReleased") {
        let s = &release["settlement"];
        sums.released += cents(&release["amount"]);
        sums.commission += cents(&s["agent_commission"]);
        sums.platform_fee += cents(&s["platform_fee"]);
        sums.seller_proceeds += cents(&s["seller_proceeds"]);
    } else if let Some(refund) = payload.get("FundsRefunded") {
        sums.forfeited += cents(&refund["forfeited"]["agent_commission"]);
    }
}
