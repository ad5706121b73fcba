//! Nobody reads what is not theirs, through any query endpoint: vendor A's
//! token never returns vendor B's rows or ids (and the reverse), and a
//! buyer never sees another buyer's orders or escrows.
//!
//! The test builds a marketplace where the two vendors and the two buyers
//! cross (a stock each, an order with both vendors, an order of one
//! vendor each, balances and ledgers from the payments, an escrow sold by
//! each vendor), then asks every query endpoint, with every combination
//! of ids in its path and with filters naming the others, as each of
//! them. A 200 must not contain any of the others' ids; a refusal must be
//! 403 or 404; and where the endpoint is meant for that principal, some
//! answer must show its own data, so the check cannot pass by refusing
//! everything. [`QUERIES`] must list every GET path of the OpenAPI
//! document: a new query endpoint fails this test until it is added here.

use std::collections::BTreeSet;

use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::escrows::terms;
use crate::fixtures::{eventually, line, paid_order, position, receive_stock};
use crate::helpers::{admin, buyer, spawn_full, vendor, TestApp};

const A: &str = "vendor-alpha";
const B: &str = "vendor-bravo";

/// Who, besides admins and auditors, reads a query endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Readers {
    /// Buyers, their own.
    Buyers,
    /// Vendors, their own.
    Vendors,
    /// Buyers and vendors, each their own.
    Parties,
    /// Nobody else.
    Staff,
}

/// Every query endpoint and who reads it.
const QUERIES: &[(&str, Readers)] = &[
    ("/v1/orders", Readers::Buyers),
    ("/v1/orders/{order_id}", Readers::Buyers),
    ("/v1/vendors/{vendor_id}/orders", Readers::Vendors),
    (
        "/v1/vendors/{vendor_id}/orders/{order_id}",
        Readers::Vendors,
    ),
    ("/v1/vendors/{vendor_id}/balances", Readers::Vendors),
    ("/v1/vendors/{vendor_id}/ledger", Readers::Vendors),
    ("/v1/vendors/{vendor_id}/order-balances", Readers::Vendors),
    ("/v1/stock", Readers::Vendors),
    ("/v1/stock/{sku}/{warehouse}", Readers::Vendors),
    ("/v1/stock/{sku}/{warehouse}/movements", Readers::Vendors),
    ("/v1/payments/{order_id}", Readers::Staff),
    ("/v1/platform/fees", Readers::Staff),
    ("/v1/escrows", Readers::Parties),
    ("/v1/escrows/{escrow_id}", Readers::Parties),
    (
        "/v1/audit/streams/{aggregate_type}/{aggregate_id}/events",
        Readers::Staff,
    ),
    (
        "/v1/audit/streams/{aggregate_type}/{aggregate_id}/state",
        Readers::Staff,
    ),
    ("/v1/audit/events", Readers::Staff),
    ("/v1/audit/export", Readers::Staff),
    ("/v1/audit/verify", Readers::Staff),
];

/// The ids the marketplace was built with.
struct World {
    /// buyer-one's order from both vendors.
    mixed: String,
    /// buyer-one's order from A only.
    a_only: String,
    /// buyer-two's order from B only.
    b_only: String,
    /// buyer-one's escrow sold by A.
    escrow_a: String,
    /// buyer-two's escrow sold by B.
    escrow_b: String,
    /// A position every read model must have reached.
    synced: String,
}

/// One principal: its token, whether it is a vendor, what marks its own
/// data, what must never reach it, and a filter naming the others.
struct Viewer {
    name: &'static str,
    token: String,
    vendor: bool,
    own: Vec<String>,
    secrets: Vec<String>,
    widening: String,
}

async fn build(app: &TestApp) -> World {
    receive_stock(app, A, "alpha-apple", 10).await;
    receive_stock(app, B, "bravo-pear", 10).await;
    let mixed = paid_order(
        app,
        "buyer-one",
        vec![
            line(A, "alpha-apple", 1, 1000),
            line(B, "bravo-pear", 1, 2000),
        ],
    )
    .await;
    let a_only = paid_order(app, "buyer-one", vec![line(A, "alpha-apple", 1, 500)]).await;
    let b_only = paid_order(app, "buyer-two", vec![line(B, "bravo-pear", 1, 3000)]).await;
    for order in [&mixed, &a_only, &b_only] {
        eventually(app, &admin(), &format!("/v1/payments/{order}"), |p| {
            let shares = p["vendors"].as_array();
            shares.is_some_and(|s| s.iter().all(|v| v["held_in_escrow"] != 0))
        })
        .await;
    }
    let (escrow_a, _) =
        crate::escrows::create(app, &buyer("buyer-one"), &terms(A, &[("m-1", 700)])).await;
    let (escrow_b, last) =
        crate::escrows::create(app, &buyer("buyer-two"), &terms(B, &[("m-1", 900)])).await;
    World {
        mixed,
        a_only,
        b_only,
        escrow_a,
        escrow_b,
        synced: position(&last).to_owned(),
    }
}

fn viewers(world: &World) -> Vec<Viewer> {
    let ids = |ids: &[&str]| ids.iter().map(|id| (*id).to_owned()).collect::<Vec<_>>();
    let w = world;
    vec![
        Viewer {
            name: "vendor A",
            token: vendor(A),
            vendor: true,
            own: ids(&[A, "alpha-apple"]),
            secrets: ids(&[B, "bravo-pear", &w.b_only, &w.escrow_b, "buyer-two"]),
            widening: format!("&vendor_id={B}&buyer_id=buyer-two"),
        },
        Viewer {
            name: "vendor B",
            token: vendor(B),
            vendor: true,
            own: ids(&[B, "bravo-pear"]),
            secrets: ids(&[A, "alpha-apple", &w.a_only, &w.escrow_a]),
            widening: format!("&vendor_id={A}&buyer_id=buyer-one"),
        },
        Viewer {
            name: "buyer one",
            token: buyer("buyer-one"),
            vendor: false,
            own: ids(&[&w.mixed, "buyer-one"]),
            secrets: ids(&["buyer-two", &w.b_only, &w.escrow_b]),
            widening: "&buyer_id=buyer-two".to_owned(),
        },
        Viewer {
            name: "buyer two",
            token: buyer("buyer-two"),
            vendor: false,
            own: ids(&[&w.b_only, "buyer-two"]),
            secrets: ids(&["buyer-one", &w.mixed, &w.a_only, &w.escrow_a]),
            widening: "&buyer_id=buyer-one".to_owned(),
        },
    ]
}

/// `template` with every combination of the world's ids in its path.
fn expand(template: &str, world: &World) -> Vec<String> {
    let orders = [&world.mixed, &world.a_only, &world.b_only].map(String::as_str);
    let escrows = [
        &world.escrow_a,
        &world.escrow_b,
        &world.mixed,
        &world.b_only,
    ];
    let values: [(&str, Vec<&str>); 7] = [
        ("{aggregate_type}", vec!["order"]),
        ("{aggregate_id}", orders.to_vec()),
        ("{order_id}", orders.to_vec()),
        ("{vendor_id}", vec![A, B]),
        ("{sku}", vec!["alpha-apple", "bravo-pear"]),
        ("{warehouse}", vec!["wh-1"]),
        ("{escrow_id}", escrows.map(String::as_str).to_vec()),
    ];
    let mut paths = vec![template.to_owned()];
    for (name, candidates) in values {
        paths = paths
            .into_iter()
            .flat_map(|path| match path.contains(name) {
                true => candidates.iter().map(|c| path.replace(name, c)).collect(),
                false => vec![path],
            })
            .collect();
    }
    paths
}

/// What a viewer got from one query endpoint.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    /// Some answer was a 200.
    answered: bool,
    /// Some answer showed the viewer's own data.
    own: bool,
}

/// Asks `template` in every expansion as `viewer`, checking that no answer
/// leaks another's data.
async fn probe(app: &TestApp, world: &World, viewer: &Viewer, template: &str) -> Seen {
    let mut seen = Seen::default();
    for path in expand(template, world) {
        for filter in ["", viewer.widening.as_str()] {
            let url = format!("{path}?min_position={}{filter}", world.synced);
            let response = app.get_as(&viewer.token, &url).await;
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            match status {
                200 => {
                    let leaked: Vec<&String> = viewer
                        .secrets
                        .iter()
                        .filter(|s| body.contains(*s))
                        .collect();
                    assert!(
                        leaked.is_empty(),
                        "{} got {leaked:?} from {url}: {body}",
                        viewer.name
                    );
                    seen.answered = true;
                    seen.own |= viewer.own.iter().any(|own| body.contains(own));
                }
                400 if !filter.is_empty() => {}
                403 | 404 => {}
                other => panic!("{} got {other} from {url}: {body}", viewer.name),
            }
        }
    }
    seen
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn no_query_endpoint_shows_a_principal_what_is_not_its_own(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let document: Value = app.get("/openapi.json").await.json().await.unwrap();
    let described: BTreeSet<&str> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, operations)| operations.get("get").is_some())
        .map(|(path, _)| path.as_str())
        .collect();
    let checked: BTreeSet<&str> = QUERIES.iter().map(|q| q.0).collect();
    assert_eq!(
        checked, described,
        "every query endpoint has an isolation check"
    );

    let world = build(&app).await;
    for viewer in viewers(&world) {
        for (template, readers) in QUERIES {
            let meant = match readers {
                Readers::Buyers => !viewer.vendor,
                Readers::Vendors => viewer.vendor,
                Readers::Parties => true,
                Readers::Staff => false,
            };
            let seen = probe(&app, &world, &viewer, template).await;
            let expected = Seen {
                answered: meant,
                own: meant,
            };
            assert_eq!(seen, expected, "{} reading {template}", viewer.name);
        }
    }
}
