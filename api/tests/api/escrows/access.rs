//! Who may do what to an escrow: its buyer and seller their own steps, the
//! agent (admin) the rest; a role that never may is 403, someone who is
//! not a party 404 (the escrow stays unknown to them), no token 401, and
//! a refused command writes nothing.

use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{at, create, eur, funding, refuses, terms};
use crate::fixtures::{anonymous_post, position, refused};
use crate::helpers::{admin, auditor, buyer, spawn_full, vendor};

/// Who an escrow command is for (admins may run every one).
#[derive(Debug, Clone, Copy)]
enum Party {
    Buyer,
    Seller,
    Either,
    Admin,
}

fn commands() -> Vec<(&'static str, Value, Party)> {
    let why = json!({"reason": "why"});
    vec![
        ("funding", funding(500), Party::Admin),
        ("milestones/m-1/delivery", json!({}), Party::Seller),
        ("milestones/m-1/accept", json!({}), Party::Buyer),
        ("milestones/m-1/reject", why.clone(), Party::Buyer),
        ("milestones/m-1/lapse", json!({}), Party::Admin),
        ("milestones/m-1/disputes", why.clone(), Party::Either),
        (
            "milestones/m-1/resolution",
            json!({"release": eur(0), "refund": eur(0)}),
            Party::Admin,
        ),
        ("milestones/m-1/release", json!({}), Party::Admin),
        (
            "milestones/m-1/partial-release",
            json!({"amount": eur(1)}),
            Party::Admin,
        ),
        ("refunds", why.clone(), Party::Seller),
        ("cancel", why, Party::Admin),
    ]
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn escrow_commands_are_for_its_parties_and_the_agent(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let deal = terms("v-1", &[("m-1", 500)]);
    assert_eq!(anonymous_post(&app, "/v1/escrows", &deal).await, 401);
    for token in [vendor("v-1"), auditor()] {
        assert_eq!(
            refused(&app, &token, "/v1/escrows", &deal).await,
            (403, "forbidden".to_owned())
        );
    }
    let mut for_another = deal.clone();
    for_another["buyer"] = json!("buyer-2");
    assert_eq!(
        refused(&app, &buyer("buyer-1"), "/v1/escrows", &for_another)
            .await
            .0,
        403
    );
    let (id, _) = create(&app, &buyer("buyer-1"), &deal).await;

    for (tail, body, party) in commands() {
        let path = at(&id, tail);
        assert_eq!(anonymous_post(&app, &path, &body).await, 401, "{path}");
        let (wrong_role, strangers) = match party {
            Party::Buyer => (vec![vendor("v-1"), auditor()], vec![buyer("buyer-2")]),
            Party::Seller => (vec![buyer("buyer-1"), auditor()], vec![vendor("v-2")]),
            Party::Either => (vec![auditor()], vec![buyer("buyer-2"), vendor("v-2")]),
            Party::Admin => (vec![buyer("buyer-1"), vendor("v-1"), auditor()], vec![]),
        };
        for token in wrong_role {
            refuses(&app, &id, (&token, &path, body.clone()), 403, "forbidden").await;
        }
        for token in strangers {
            refuses(&app, &id, (&token, &path, body.clone()), 404, "not-found").await;
        }
    }
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn an_escrow_is_read_by_its_parties_auditors_and_admins_only(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let (id, created) = create(&app, &buyer("buyer-1"), &terms("v-1", &[("m-1", 500)])).await;
    let synced = format!("?min_position={}", position(&created));
    let detail = format!("/v1/escrows/{id}{synced}");
    let list = format!("/v1/escrows{synced}");

    assert_eq!(app.get(&detail).await.status(), 401);
    assert_eq!(app.get(&list).await.status(), 401);
    for (token, status) in [
        (buyer("buyer-1"), 200),
        (vendor("v-1"), 200),
        (auditor(), 200),
        (admin(), 200),
        (buyer("buyer-2"), 404),
        (vendor("v-2"), 404),
        (vendor("buyer-1"), 404),
    ] {
        assert_eq!(
            app.get_as(&token, &detail).await.status(),
            status,
            "{token}"
        );
        let listed = app.read(&token, &list).await;
        let ids: Vec<&str> = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["escrow_id"].as_str().unwrap())
            .collect();
        let expected: &[&str] = if status == 200 { &[id.as_str()] } else { &[] };
        assert_eq!(ids, expected, "{token} lists");
    }
}
