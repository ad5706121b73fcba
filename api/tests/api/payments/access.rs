//! Money moves by admins (and the webhooks and workers acting as admins)
//! only: every payment command is 401 without a token and 403 for
//! buyers, vendors and auditors, and writes nothing; payment details and
//! platform fees are read by admins and auditors.

use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{at, compute, eur, refuses, split_of};
use crate::fixtures::{anonymous_post, position};
use crate::helpers::{admin, auditor, buyer, spawn_full, vendor};

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn only_admins_move_money_and_admins_and_auditors_read_it(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let (id, split) = compute(&app, 1000, 1000, &[("v-1", 1000)]).await;
    let synced = format!("?min_position={}", position(&split));
    let commands = [
        (at(&id, "split"), split_of(1000, 1000, &[("v-1", 1000)])),
        (
            at(&id, "vendors/v-1/payout-schedule"),
            json!({"hold_until": "2030-01-01T00:00:00Z"}),
        ),
        (at(&id, "vendors/v-1/payouts"), json!({"payout_id": "po-1"})),
        (
            at(&id, "vendors/v-1/payouts/po-1/failure"),
            json!({"reason": "declined"}),
        ),
        (
            at(&id, "refunds"),
            json!({"refund_id": "re-1", "amount": eur(100)}),
        ),
        (
            at(&id, "chargebacks"),
            json!({"chargeback_id": "cb-1", "amount": eur(100)}),
        ),
    ];
    for (path, body) in &commands {
        assert_eq!(anonymous_post(&app, path, body).await, 401, "{path}");
        for token in [buyer("buyer-1"), vendor("v-1"), auditor()] {
            refuses(&app, &id, (&token, path, body.clone()), 403, "forbidden").await;
        }
    }

    for path in [
        format!("/v1/payments/{id}{synced}"),
        format!("/v1/platform/fees{synced}"),
    ] {
        assert_eq!(app.get(&path).await.status(), 401, "{path}");
        for (token, status) in [
            (buyer("buyer-1"), 403),
            (vendor("v-1"), 403),
            (auditor(), 200),
            (admin(), 200),
        ] {
            assert_eq!(app.get_as(&token, &path).await.status(), status, "{path}");
        }
    }
    for tail in ["balances", "ledger", "order-balances"] {
        let path = format!("/v1/vendors/v-1/{tail}");
        assert_eq!(app.get(&path).await.status(), 401, "{path}");
        for (token, status) in [
            (buyer("buyer-1"), 404),
            (vendor("v-2"), 404),
            (vendor("v-1"), 200),
            (auditor(), 200),
        ] {
            assert_eq!(app.get_as(&token, &path).await.status(), status, "{path}");
        }
    }
}
