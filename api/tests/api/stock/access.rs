//! Whose stock it is: the vendor of its first batch changes and reads it,
//! other vendors get 404 (or 409 `not-owner` when receiving into it),
//! buyers 403, holds are for admins, and no token is 401.

use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{at, batch_of, refuses};
use crate::fixtures::{anonymous_post, receive_stock};
use crate::helpers::{admin, auditor, buyer, spawn_full, vendor};

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn only_the_owner_changes_and_reads_a_stock(_: PgPoolOptions, options: PgConnectOptions) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    let (v2, b1) = (vendor("v-2"), buyer("buyer-1"));
    let count = json!({"batch": "b-apple", "delta": -1, "reason": "count"});
    let restock = json!({"batch": "b-apple", "quantity": 1, "reason": "return"});
    let hold = json!({
        "reservation": "r-1", "quantity": 1,
        "expires_at": "2099-01-01T00:00:00Z", "ship_on": "2098-12-31",
    });
    let writes = [
        (at("apple", "batches"), batch_of("b-2", 1, None)),
        (at("apple", "adjustments"), count.clone()),
        (at("apple", "batches/b-apple/write-off"), json!({})),
        (at("apple", "restocks"), restock.clone()),
        (at("apple", "reservations"), hold.clone()),
        (at("apple", "reservations/r-1/commit"), json!({})),
    ];
    for (path, body) in &writes {
        assert_eq!(anonymous_post(&app, path, body).await, 401, "{path}");
        refuses(&app, "apple", (&b1, path, body.clone()), 403, "forbidden").await;
        refuses(
            &app,
            "apple",
            (&auditor(), path, body.clone()),
            403,
            "forbidden",
        )
        .await;
    }
    let receive = at("apple", "batches");
    refuses(
        &app,
        "apple",
        (&v2, &receive, batch_of("b-2", 1, None)),
        409,
        "not-owner",
    )
    .await;
    for (path, body) in [
        (at("apple", "adjustments"), count),
        (at("apple", "batches/b-apple/write-off"), json!({})),
        (at("apple", "restocks"), restock),
    ] {
        refuses(&app, "apple", (&v2, &path, body.clone()), 404, "not-found").await;
        let nobody = path.replace("apple", "kiwi");
        refuses(
            &app,
            "kiwi",
            (&vendor("v-1"), &nobody, body),
            404,
            "not-found",
        )
        .await;
    }
    for path in [
        at("apple", "reservations"),
        at("apple", "reservations/r-1/commit"),
    ] {
        let body = if path.ends_with("commit") {
            json!({})
        } else {
            hold.clone()
        };
        refuses(
            &app,
            "apple",
            (&vendor("v-1"), &path, body),
            403,
            "forbidden",
        )
        .await;
    }
    let for_another = json!({"batch": "b-2", "quantity": 1, "vendor": "v-1"});
    refuses(
        &app,
        "apple",
        (&v2, &receive, for_another.clone()),
        403,
        "forbidden",
    )
    .await;
    refuses(
        &app,
        "apple",
        (&admin(), &receive, batch_of("b-2", 1, None)),
        422,
        "vendor-required",
    )
    .await;
    app.command(&admin(), &receive, &for_another, 200).await;
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn other_vendors_and_buyers_never_read_a_stock(_: PgPoolOptions, options: PgConnectOptions) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, "v-1", "apple", 10).await;
    let received = receive_stock(&app, "v-2", "pear", 10).await;
    let synced = format!("?min_position={}", received["position"].as_str().unwrap());

    for path in [
        "/v1/stock".to_owned(),
        at("apple", ""),
        at("apple", "movements"),
    ] {
        let path = format!("{path}{synced}");
        assert_eq!(app.get(&path).await.status(), 401, "{path}");
        assert_eq!(
            app.get_as(&buyer("buyer-1"), &path).await.status(),
            403,
            "{path}"
        );
        assert_eq!(app.get_as(&auditor(), &path).await.status(), 200, "{path}");
        assert_eq!(
            app.get_as(&vendor("v-1"), &path).await.status(),
            200,
            "{path}"
        );
    }
    for path in [at("apple", ""), at("apple", "movements"), at("kiwi", "")] {
        assert_eq!(
            app.get_as(&vendor("v-2"), &path).await.status(),
            404,
            "{path}"
        );
    }
    for query in ["", "&vendor_id=v-1", "&sku=apple"] {
        let list = app
            .read(&vendor("v-2"), &format!("/v1/stock{synced}{query}"))
            .await;
        let skus: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["sku"].as_str().unwrap())
            .collect();
        let expected: &[&str] = if query.contains("apple") {
            &[]
        } else {
            &["pear"]
        };
        assert_eq!(skus, expected, "{query}");
    }
    let all = app.read(&auditor(), &format!("/v1/stock{synced}")).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let filtered = app.read(&admin(), "/v1/stock?vendor_id=v-1").await;
    assert_eq!(filtered["items"][0]["sku"], "apple");
    assert_eq!(filtered["items"].as_array().unwrap().len(), 1);
}
