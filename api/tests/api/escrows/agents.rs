//! Agent-brokered escrow sales through the API: an admin names the agent
//! and its commission, every release pays the agent, the platform fee and
//! the seller exactly, a refund forfeits its commission, the agent reads
//! its commissions per escrow and per month, and bad commission terms are
//! refused with 422 without writing anything.

use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{amounts, at, create, eur, funding, terms};
use crate::fixtures::{position, refused};
use crate::helpers::{admin, agent, buyer, spawn_full, vendor, TestApp};

/// Terms of a EUR 1,000.00 sale by `v-1` to `buyer-1` in two milestones
/// (400.00 and 600.00), brokered by `ag-1` for `commission`.
fn brokered(commission: Value) -> Value {
    let mut body = terms("v-1", &[("m-1", 40_000), ("m-2", 60_000)]);
    body["buyer"] = json!("buyer-1");
    body["agent"] = json!({"agent_id": "ag-1", "commission": commission});
    body
}

async fn read_after(app: &TestApp, token: &str, path: &str, answer: &Value) -> Value {
    let path = format!("{path}?min_position={}", position(answer));
    app.read(token, &path).await
}

const FIGURES: &[&str] = &[
    "agreed",
    "earned",
    "paid",
    "pending",
    "forfeited",
    "released",
    "seller_proceeds",
    "platform_fee",
];

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn each_release_pays_the_agent_its_commission_to_the_cent(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let (ops, ag) = (admin(), agent("ag-1"));
    // 2.5 % of 1,000.00 = 25.00: 10.00 on m-1, 15.00 on m-2; the platform
    // takes its default 10 %
    let (id, _) = create(&app, &ops, &brokered(json!({"bps": 250}))).await;
    app.command(&ops, &at(&id, "funding"), &funding(100_000), 200)
        .await;
    let cut = json!({"amount": eur(15_001)});
    app.command(&ops, &at(&id, "milestones/m-1/partial-release"), &cut, 200)
        .await;
    app.command(&ops, &at(&id, "milestones/m-1/release"), &json!({}), 200)
        .await;
    let refund =
        json!({"milestone": "m-2", "amount": eur(20_000), "reason": "one machine missing"});
    app.command(&vendor("v-1"), &at(&id, "refunds"), &refund, 200)
        .await;
    let last = app
        .command(&ops, &at(&id, "milestones/m-2/release"), &json!({}), 200)
        .await;

    let page = read_after(&app, &ag, "/v1/agents/ag-1/commissions", &last).await;
    let rows = page["items"].as_array().expect("a page");
    assert_eq!(rows.len(), 1, "{page}");
    let row = &rows[0];
    assert_eq!(
        (row["escrow_id"].as_str(), row["commission_bps"].as_i64()),
        (Some(id.as_str()), Some(250))
    );
    // m-2's third refunded forfeits 5.00 of its 15.00; 80,000 released =
    // 2,000 commission + 8,000 fee + 70,000 to the seller
    assert_eq!(
        amounts(row, FIGURES),
        [2_500, 2_000, 2_000, 0, 500, 80_000, 70_000, 8_000]
    );
    let months = read_after(&app, &ag, "/v1/agents/ag-1/commissions/monthly", &last).await;
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    assert_eq!(
        months,
        json!([{"agent_id": "ag-1", "month": month, "currency": "EUR", "earned": 2_500, "paid": 2_000, "forfeited": 500}])
    );

    let seller_view = read_after(&app, &vendor("v-1"), &format!("/v1/escrows/{id}"), &last).await;
    assert_eq!(
        seller_view["agent"]["seller_proceeds"], 70_000,
        "the seller sees its proceeds"
    );
    let agent_view = read_after(&app, &ag, &format!("/v1/escrows/{id}"), &last).await;
    assert_eq!(agent_view["escrow"]["released"], 80_000);
    let listed = read_after(&app, &ag, "/v1/escrows", &last).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn a_fixed_commission_is_paid_in_full_once_everything_is_released(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let ops = admin();
    let (id, _) = create(&app, &ops, &brokered(json!({"fixed": eur(33_333)}))).await;
    app.command(&ops, &at(&id, "funding"), &funding(100_000), 200)
        .await;
    for (milestone, cents) in [("m-1", 1), ("m-1", 7), ("m-2", 12_345)] {
        let cut = json!({"amount": eur(cents)});
        let path = at(&id, &format!("milestones/{milestone}/partial-release"));
        app.command(&ops, &path, &cut, 200).await;
    }
    app.command(&ops, &at(&id, "milestones/m-1/release"), &json!({}), 200)
        .await;
    let last = app
        .command(&ops, &at(&id, "milestones/m-2/release"), &json!({}), 200)
        .await;
    let page = read_after(&app, &agent("ag-1"), "/v1/agents/ag-1/commissions", &last).await;
    let row = &page["items"][0];
    assert_eq!(
        amounts(row, FIGURES),
        [33_333, 33_333, 33_333, 0, 0, 100_000, 56_667, 10_000]
    );
    assert_eq!(row["status"], "closed");
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn bad_commission_terms_are_refused_and_write_nothing(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let ops = admin();
    let usd = json!({"amount": 100, "currency": "USD"});
    let cases = [
        (brokered(json!({"bps": -5})), "commission-rate-out-of-range"),
        (
            brokered(json!({"bps": 10_001})),
            "commission-rate-out-of-range",
        ),
        (brokered(json!({"fixed": usd})), "currency-mismatch"),
        (brokered(json!({"fixed": eur(-1)})), "negative-commission"),
        (
            brokered(json!({"fixed": eur(100_001)})),
            "charges-exceed-sale",
        ),
        (
            brokered(json!({"fixed": eur(95_000)})),
            "charges-exceed-sale",
        ),
        (
            brokered(json!({"bps": 100, "fixed": eur(1)})),
            "invalid-commission",
        ),
        (brokered(json!({})), "invalid-commission"),
    ];
    for (body, slug) in cases {
        let answer = refused(&app, &ops, "/v1/escrows", &body).await;
        assert_eq!(answer, (422, slug.to_owned()), "{body}");
    }
    let mut agent_is_seller = brokered(json!({"bps": 100}));
    agent_is_seller["agent"]["agent_id"] = json!("v-1");
    let answer = refused(&app, &ops, "/v1/escrows", &agent_is_seller).await;
    assert_eq!(answer, (422, "agent-is-party".to_owned()));
    let mut own = brokered(json!({"bps": 100}));
    own.as_object_mut().map(|o| o.remove("buyer"));
    let answer = refused(&app, &buyer("buyer-1"), "/v1/escrows", &own).await;
    assert_eq!(answer.0, 403, "a buyer may not name an agent");
    let written: i64 =
        sqlx::query_scalar("select count(*) from events where aggregate_type = 'Escrow'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(written, 0, "nothing half-written");
}
