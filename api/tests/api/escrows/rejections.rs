//! What each escrow endpoint refuses, with its status and problem type:
//! terms that do not add up (422), steps out of order (409), amounts
//! beyond what remains (422), an unknown milestone in the path (404);
//! nothing refused is written.

use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{at, create, eur, funding, refuses, terms};
use crate::fixtures::refused;
use crate::helpers::{admin, buyer, spawn_full, vendor};

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn terms_that_do_not_add_up_are_422(_: PgPoolOptions, options: PgConnectOptions) {
    let app = spawn_full(options, |_| {}).await;
    let deal = || terms("v-1", &[("m-1", 300), ("m-2", 200)]);
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut terms = deal();
        edit(&mut terms);
        terms
    };
    let cases = [
        (with(&|t| t["amount"] = eur(600)), "milestone-sum-mismatch"),
        (with(&|t| t["milestones"] = json!([])), "no-milestones"),
        (
            with(&|t| t["milestones"][1]["milestone"] = json!("m-1")),
            "duplicate-milestone",
        ),
        (
            with(&|t| t["milestones"][0]["description"] = json!(" ")),
            "blank-description",
        ),
        (
            with(&|t| t["milestones"][0]["amount"] = eur(0)),
            "non-positive-amount",
        ),
        (
            with(&|t| t["inspection_period_days"] = json!(0)),
            "inspection-period-out-of-range",
        ),
        (
            with(&|t| t["dispute_window_hours"] = json!(12)),
            "dispute-window-out-of-range",
        ),
        (
            with(&|t| t["inspection_period_days"] = json!(1)),
            "dispute-window-exceeds-inspection",
        ),
        (with(&|t| t["seller"] = json!("buyer-1")), "buyer-is-seller"),
        (
            with(&|t| t["milestones"][0]["amount"]["currency"] = json!("USD")),
            "currency-mismatch",
        ),
    ];
    for (body, slug) in cases {
        let answer = refused(&app, &buyer("buyer-1"), "/v1/escrows", &body).await;
        assert_eq!(answer, (422, slug.to_owned()), "{body}");
    }
    let answer = refused(&app, &admin(), "/v1/escrows", &deal()).await;
    assert_eq!(answer, (422, "buyer-required".to_owned()));
    let events: i64 =
        sqlx::query_scalar("select count(*) from events where aggregate_type = 'Escrow'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(events, 0);
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn steps_out_of_order_are_409_and_excess_amounts_422(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let (b1, v1, ops) = (buyer("buyer-1"), vendor("v-1"), admin());
    let (id, _) = create(&app, &b1, &terms("v-1", &[("m-1", 300), ("m-2", 200)])).await;
    let e = id.as_str();
    let why = json!({"reason": "why"});
    refuses(
        &app,
        e,
        (&v1, &at(e, "milestones/m-1/delivery"), json!({})),
        409,
        "not-funded",
    )
    .await;
    refuses(
        &app,
        e,
        (&ops, &at(e, "funding"), funding(400)),
        422,
        "funding-mismatch",
    )
    .await;
    app.command(&ops, &at(e, "funding"), &funding(500), 200)
        .await;

    let m1 = |tail: &str| at(e, &format!("milestones/m-1/{tail}"));
    let settle =
        |release: i64, refund: i64| json!({"release": eur(release), "refund": eur(refund)});
    let before_delivery: [(&str, String, Value, u16, &str); 6] = [
        (&ops, at(e, "funding"), funding(500), 409, "already-funded"),
        (&b1, m1("accept"), json!({}), 409, "not-delivered"),
        (&v1, m1("disputes"), why.clone(), 409, "not-delivered"),
        (
            &v1,
            at(e, "milestones/m-9/delivery"),
            json!({}),
            404,
            "unknown-milestone",
        ),
        (
            &v1,
            at(e, "refunds"),
            json!({"milestone": "m-9", "reason": "x"}),
            422,
            "unknown-milestone",
        ),
        (
            &v1,
            at(e, "refunds"),
            json!({"amount": eur(10), "reason": "x"}),
            422,
            "partial-refund-needs-milestone",
        ),
    ];
    for (token, path, body, status, slug) in before_delivery {
        refuses(&app, e, (token, &path, body), status, slug).await;
    }

    app.command(&v1, &m1("delivery"), &json!({}), 200).await;
    let delivered: [(&str, String, Value, u16, &str); 5] = [
        (&v1, m1("delivery"), json!({}), 409, "already-delivered"),
        (&ops, m1("lapse"), json!({}), 409, "too-early"),
        (&ops, m1("resolution"), settle(100, 0), 409, "no-dispute"),
        (
            &b1,
            m1("reject"),
            json!({"reason": " "}),
            422,
            "blank-reason",
        ),
        (
            &ops,
            at(e, "cancel"),
            why.clone(),
            409,
            "already-delivered-some",
        ),
    ];
    for (token, path, body, status, slug) in delivered {
        refuses(&app, e, (token, &path, body), status, slug).await;
    }

    app.command(&b1, &m1("disputes"), &why, 200).await;
    let disputed: [(&str, String, Value, u16, &str); 5] = [
        (&b1, m1("accept"), json!({}), 409, "dispute-open"),
        (&ops, m1("release"), json!({}), 409, "dispute-open"),
        (
            &ops,
            m1("partial-release"),
            json!({"amount": eur(10)}),
            409,
            "dispute-open",
        ),
        (
            &ops,
            m1("resolution"),
            settle(300, 1),
            422,
            "exceeds-remaining",
        ),
        (
            &ops,
            at(e, "milestones/m-2/partial-release"),
            json!({"amount": eur(201)}),
            422,
            "exceeds-remaining",
        ),
    ];
    for (token, path, body, status, slug) in disputed {
        refuses(&app, e, (token, &path, body), status, slug).await;
    }

    app.command(&ops, &m1("resolution"), &settle(300, 0), 200)
        .await;
    app.command(&ops, &at(e, "milestones/m-2/release"), &json!({}), 200)
        .await;
    refuses(&app, e, (&ops, &at(e, "cancel"), why), 409, "closed").await;
}
