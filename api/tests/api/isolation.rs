//! Nobody reads what is not theirs, through any query endpoint: vendor A's
//! token never returns vendor B's rows or ids (and the reverse), a buyer
//! never sees another buyer's orders or escrows, and an agent sees only
//! the escrows it brokered and its own commissions.
//!
//! The test builds a marketplace where the two vendors, the two buyers and
//! the two agents cross (a stock each, an order with both vendors, an
//! order of one vendor each, balances, ledgers, invoices and fee invoices
//! from the payments, an
//! escrow sold by each vendor, a brokered sale by each agent, funded and
//! partly released), then asks every query endpoint, with every
//! combination of ids in its path and with filters naming the others, as
//! each of them. A 200 must not contain any of the others' ids; a refusal must be
//! 403 or 404; and where the endpoint is meant for that principal, some
//! answer must show its own data, so the check cannot pass by refusing
//! everything. [`QUERIES`] must list every GET path of the OpenAPI
//! document: a new query endpoint fails this test until it is added here.
//!
//! Agents write nothing: every command endpoint of the document refuses
//! an agent's token, with any of the world's ids in its path, and no event
//! is written.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::escrows::terms;
use crate::fixtures::{eventually, line, paid_order, position, receive_stock};
use crate::helpers::{admin, agent, buyer, spawn_full, vendor, TestApp};

const A: &str = "vendor-alpha";
const B: &str = "vendor-bravo";
const X: &str = "agent-xray";
const Y: &str = "agent-yankee";

/// Who, besides admins and auditors, reads a query endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Readers {
    /// Buyers, their own.
    Buyers,
    /// Vendors, their own.
    Vendors,
    /// Buyers, vendors and agents, each their own.
    Parties,
    /// Agents, their own.
    Agents,
    /// Buyers and vendors, each their own; not agents.
    Traders,
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
    ("/v1/agents/{agent_id}/commissions", Readers::Agents),
    ("/v1/agents/{agent_id}/commissions/monthly", Readers::Agents),
    ("/v1/invoices", Readers::Traders),
    ("/v1/invoices/export", Readers::Vendors),
    ("/v1/invoices/{document_id}", Readers::Traders),
    ("/v1/orders/{order_id}/invoice", Readers::Traders),
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
    /// buyer-one's purchase from A brokered by agent X.
    escrow_x: String,
    /// buyer-two's purchase from B brokered by agent Y.
    escrow_y: String,
    /// A position every read model must have reached.
    synced: String,
    /// Every invoice and credit note, as an admin lists them.
    documents: Vec<Value>,
}

/// What kind of principal a viewer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Buyer,
    Vendor,
    Agent,
}

/// One principal: its token, its kind, what marks its own data, what must
/// never reach it, and a filter naming the others.
struct Viewer {
    name: &'static str,
    token: String,
    kind: Kind,
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
    // per order and vendor a sale invoice and a fee invoice
    let invoices = eventually(app, &admin(), "/v1/invoices?limit=200", |p| {
        let items = p["items"].as_array();
        items.is_some_and(|i| i.iter().filter(|d| d["subject"] == "sale").count() == 4)
    })
    .await;
    let documents = invoices["items"].as_array().unwrap().clone();
    assert_eq!(documents.len(), 8);
    let (escrow_a, _) =
        crate::escrows::create(app, &buyer("buyer-one"), &terms(A, &[("m-1", 700)])).await;
    let (escrow_b, _) =
        crate::escrows::create(app, &buyer("buyer-two"), &terms(B, &[("m-1", 900)])).await;
    let escrow_x = brokered(app, "buyer-one", A, X).await;
    let escrow_y = brokered(app, "buyer-two", B, Y).await;
    let last = app
        .command(
            &admin(),
            &format!("/v1/escrows/{escrow_y}/milestones/m-1/release"),
            &json!({}),
            200,
        )
        .await;
    World {
        mixed,
        a_only,
        b_only,
        escrow_a,
        escrow_b,
        escrow_x,
        escrow_y,
        synced: position(&last).to_owned(),
        documents,
    }
}

/// A funded sale by `seller` to `buyer` brokered by `agent`, part of it
/// released (so the agent has commission paid and pending).
async fn brokered(app: &TestApp, buyer: &str, seller: &str, agent: &str) -> String {
    let mut body = terms(seller, &[("m-1", 4_000), ("m-2", 6_000)]);
    body["buyer"] = json!(buyer);
    body["agent"] = json!({"agent_id": agent, "commission": {"bps": 500}});
    let (id, _) = crate::escrows::create(app, &admin(), &body).await;
    let funding = json!({"payment_id": "pay-1", "amount": {"amount": 10_000, "currency": "EUR"}});
    app.command(
        &admin(),
        &format!("/v1/escrows/{id}/funding"),
        &funding,
        200,
    )
    .await;
    let release = format!("/v1/escrows/{id}/milestones/m-2/release");
    app.command(&admin(), &release, &json!({}), 200).await;
    id
}

/// The ids of the documents `sees` rejects: a viewer's secrets.
fn foreign_documents(world: &World, sees: impl Fn(&Value) -> bool) -> Vec<String> {
    world
        .documents
        .iter()
        .filter(|d| !sees(d))
        .map(|d| d["document_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Vendor `id` reads what it issued and what it received.
fn vendors_documents(id: &'static str) -> impl Fn(&Value) -> bool {
    move |d| d["issuer_id"] == id || d["recipient_id"] == id
}

/// Buyer `id` reads what is addressed to it.
fn buyers_documents(id: &'static str) -> impl Fn(&Value) -> bool {
    move |d| d["recipient_kind"] == "buyer" && d["recipient_id"] == id
}

fn viewers(world: &World) -> Vec<Viewer> {
    let ids = |ids: &[&str]| ids.iter().map(|id| (*id).to_owned()).collect::<Vec<_>>();
    let w = world;
    vec![
        Viewer {
            name: "vendor A",
            token: vendor(A),
            kind: Kind::Vendor,
            own: ids(&[A, "alpha-apple"]),
            secrets: [
                ids(&[
                    B,
                    "bravo-pear",
                    &w.b_only,
                    &w.escrow_b,
                    "buyer-two",
                    &w.escrow_y,
                    Y,
                ]),
                foreign_documents(w, vendors_documents(A)),
            ]
            .concat(),
            widening: format!("&vendor_id={B}&buyer_id=buyer-two"),
        },
        Viewer {
            name: "vendor B",
            token: vendor(B),
            kind: Kind::Vendor,
            own: ids(&[B, "bravo-pear"]),
            secrets: [
                ids(&[A, "alpha-apple", &w.a_only, &w.escrow_a, &w.escrow_x, X]),
                foreign_documents(w, vendors_documents(B)),
            ]
            .concat(),
            widening: format!("&vendor_id={A}&buyer_id=buyer-one"),
        },
        Viewer {
            name: "buyer one",
            token: buyer("buyer-one"),
            kind: Kind::Buyer,
            own: ids(&[&w.mixed, "buyer-one"]),
            secrets: [
                ids(&["buyer-two", &w.b_only, &w.escrow_b, &w.escrow_y, Y]),
                foreign_documents(w, buyers_documents("buyer-one")),
            ]
            .concat(),
            widening: "&buyer_id=buyer-two".to_owned(),
        },
        Viewer {
            name: "buyer two",
            token: buyer("buyer-two"),
            kind: Kind::Buyer,
            own: ids(&[&w.b_only, "buyer-two"]),
            secrets: [
                ids(&[
                    "buyer-one",
                    &w.mixed,
                    &w.a_only,
                    &w.escrow_a,
                    &w.escrow_x,
                    X,
                ]),
                foreign_documents(w, buyers_documents("buyer-two")),
            ]
            .concat(),
            widening: "&buyer_id=buyer-one".to_owned(),
        },
        Viewer {
            name: "agent X",
            token: agent(X),
            kind: Kind::Agent,
            own: ids(&[X, &w.escrow_x]),
            secrets: [
                ids(&[
                    Y,
                    &w.escrow_y,
                    &w.escrow_a,
                    &w.escrow_b,
                    &w.mixed,
                    &w.a_only,
                    &w.b_only,
                    "buyer-two",
                    B,
                    "bravo-pear",
                    "alpha-apple",
                ]),
                foreign_documents(w, |_| false),
            ]
            .concat(),
            widening: format!("&agent_id={Y}&vendor_id={B}&buyer_id=buyer-two"),
        },
        Viewer {
            name: "agent Y",
            token: agent(Y),
            kind: Kind::Agent,
            own: ids(&[Y, &w.escrow_y]),
            secrets: [
                ids(&[
                    X,
                    &w.escrow_x,
                    &w.escrow_a,
                    &w.escrow_b,
                    &w.mixed,
                    &w.a_only,
                    &w.b_only,
                    "buyer-one",
                    A,
                    "alpha-apple",
                    "bravo-pear",
                ]),
                foreign_documents(w, |_| false),
            ]
            .concat(),
            widening: format!("&agent_id={X}&vendor_id={A}&buyer_id=buyer-one"),
        },
    ]
}

/// `template` with every combination of the world's ids in its path.
fn expand(template: &str, world: &World) -> Vec<String> {
    let orders = [&world.mixed, &world.a_only, &world.b_only].map(String::as_str);
    let escrows = [
        &world.escrow_a,
        &world.escrow_b,
        &world.escrow_x,
        &world.escrow_y,
        &world.mixed,
        &world.b_only,
    ];
    let documents: Vec<&str> = world
        .documents
        .iter()
        .map(|d| d["document_id"].as_str().unwrap())
        .collect();
    let values: [(&str, Vec<&str>); 9] = [
        ("{agent_id}", vec![X, Y]),
        ("{aggregate_type}", vec!["order"]),
        ("{aggregate_id}", orders.to_vec()),
        ("{order_id}", orders.to_vec()),
        ("{vendor_id}", vec![A, B]),
        ("{sku}", vec!["alpha-apple", "bravo-pear"]),
        ("{warehouse}", vec!["wh-1"]),
        ("{escrow_id}", escrows.map(String::as_str).to_vec()),
        ("{document_id}", documents),
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
                Readers::Buyers => viewer.kind == Kind::Buyer,
                Readers::Vendors => viewer.kind == Kind::Vendor,
                Readers::Parties => true,
                Readers::Agents => viewer.kind == Kind::Agent,
                Readers::Traders => matches!(viewer.kind, Kind::Buyer | Kind::Vendor),
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

/// `template` with the world's ids in its path, and any other parameter
/// filled with a made-up value.
fn expand_all(template: &str, world: &World) -> Vec<String> {
    let mut paths = expand(template, world);
    for path in &mut paths {
        while let Some(start) = path.find('{') {
            let end = path[start..]
                .find('}')
                .map_or(path.len(), |e| start + e + 1);
            path.replace_range(start..end, "m-1");
        }
    }
    paths
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn agents_are_refused_on_every_command_endpoint_and_write_nothing(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    let document: Value = app.get("/openapi.json").await.json().await.unwrap();
    let commands: Vec<&str> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, operations)| operations.get("post").is_some())
        .map(|(path, _)| path.as_str())
        .collect();
    assert!(commands.len() > 20, "the document lists the commands");
    let world = build(&app).await;
    let events = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from events")
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    let before = events().await;
    let body = json!({});
    for token in [agent(X), agent(Y)] {
        for template in &commands {
            for path in expand_all(template, &world) {
                let response = app.post_as(&token, &path, &body).await;
                let status = response.status().as_u16();
                assert!(
                    matches!(status, 403 | 404),
                    "an agent got {status} from POST {path}"
                );
            }
        }
    }
    assert_eq!(events().await, before, "agents wrote nothing");
}
