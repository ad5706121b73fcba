//! Invoices and credit notes through the API: who reads which, the list,
//! one document, and the export as NDJSON and CSV.

use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::fixtures::{eventually, line, paid_order, receive_stock};
use crate::helpers::{admin, auditor, buyer, spawn_full, vendor, TestApp};

const SELLER: &str = "v-inv";

/// The documents of `order` as `token` reads them, once there are `n`.
async fn documents(app: &TestApp, token: &str, order: &str, n: usize) -> Vec<Value> {
    let path = format!("/v1/orders/{order}/invoice");
    let answer = eventually(app, token, &path, |body| {
        body["documents"].as_array().is_some_and(|d| d.len() == n)
    })
    .await;
    answer["documents"].as_array().unwrap().clone()
}

async fn status(app: &TestApp, token: &str, path: &str) -> u16 {
    app.get_as(token, path).await.status().as_u16()
}

async fn export(app: &TestApp, token: &str, query: &str, accept: &str) -> (u16, String, String) {
    let response = app
        .client
        .get(format!("{}/v1/invoices/export{query}", app.address))
        .bearer_auth(token)
        .header("Accept", accept)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (status, kind, response.text().await.unwrap())
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn the_buyer_reads_its_invoice_and_the_vendor_its_invoice_and_its_fee_invoice(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, SELLER, "inv-apple", 10).await;
    let order = paid_order(&app, "buyer-i", vec![line(SELLER, "inv-apple", 3, 250)]).await;

    let mine = documents(&app, &buyer("buyer-i"), &order, 1).await;
    let invoice = &mine[0]["document"];
    assert_eq!(
        (
            &invoice["kind"],
            &invoice["issuer_id"],
            &invoice["number"],
            &invoice["recipient_id"]
        ),
        (
            &json!("invoice"),
            &json!(SELLER),
            &json!(1),
            &json!("buyer-i")
        )
    );
    assert_eq!(
        (&invoice["total"], &invoice["fee"]),
        (&json!(750), &json!(75))
    );
    let billed = &mine[0]["lines"][0];
    assert_eq!(
        (
            &billed["description"],
            &billed["quantity"],
            &billed["unit_price"],
            &billed["amount"]
        ),
        (
            &json!("inv-apple by v-inv"),
            &json!(3),
            &json!(250),
            &json!(750)
        )
    );

    let theirs = documents(&app, &vendor(SELLER), &order, 2).await;
    let fee = &theirs[1]["document"];
    assert_eq!(
        (
            &fee["subject"],
            &fee["issuer_id"],
            &fee["recipient_id"],
            &fee["total"]
        ),
        (
            &json!("platform_fee"),
            &json!("platform"),
            &json!(SELLER),
            &json!(75)
        )
    );
    let path = format!("/v1/orders/{order}/invoice");
    assert_eq!(status(&app, &buyer("buyer-other"), &path).await, 404);
    assert_eq!(status(&app, &vendor("v-other"), &path).await, 404);
    assert_eq!(
        app.read(&auditor(), &path).await["documents"],
        json!(theirs)
    );

    let id = invoice["document_id"].as_str().unwrap();
    let one = app
        .read(&buyer("buyer-i"), &format!("/v1/invoices/{id}"))
        .await;
    assert_eq!(one, mine[0]);
    let fee_id = fee["document_id"].as_str().unwrap();
    assert_eq!(
        status(&app, &buyer("buyer-i"), &format!("/v1/invoices/{fee_id}")).await,
        404
    );
    assert_eq!(
        status(&app, &buyer("buyer-i"), "/v1/invoices/not-a-uuid").await,
        404
    );

    let first = app.read(&vendor(SELLER), "/v1/invoices?limit=1").await;
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = app
        .read(
            &vendor(SELLER),
            &format!("/v1/invoices?limit=1&cursor={cursor}"),
        )
        .await;
    assert!(second["next_cursor"].is_null());
    let listed = [&first["items"][0], &second["items"][0]];
    assert!(
        listed.contains(&fee) && listed.contains(&invoice),
        "both, issued by one event: {listed:?}"
    );
    let fees_only = app
        .read(&vendor(SELLER), "/v1/invoices?subject=platform_fee")
        .await;
    assert_eq!(fees_only["items"], json!([fee]));
    assert_eq!(
        status(&app, &buyer("buyer-i"), "/v1/invoices?cursor=xyz").await,
        400
    );
}

#[sqlx::test(migrator = "bazaar_event_store::MIGRATOR")]
async fn an_issuer_exports_its_documents_as_ndjson_or_csv_and_nobody_else_does(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let app = spawn_full(options, |_| {}).await;
    receive_stock(&app, SELLER, "inv-pear", 10).await;
    let order = paid_order(&app, "buyer-e", vec![line(SELLER, "inv-pear", 2, 1_000)]).await;
    let cancel = format!("/v1/orders/{order}/vendors/{SELLER}/cancel");
    app.command(&vendor(SELLER), &cancel, &json!({"reason": "frost"}), 200)
        .await;
    documents(&app, &vendor(SELLER), &order, 4).await;

    let (code, kind, body) = export(&app, &vendor(SELLER), "", "*/*").await;
    assert_eq!((code, kind.as_str()), (200, "application/x-ndjson"));
    let docs: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let numbers: Vec<(&Value, &Value, &Value)> = docs
        .iter()
        .map(|d| (&d["number"], &d["kind"], &d["total"]))
        .collect();
    assert_eq!(
        numbers,
        [
            (&json!(1), &json!("invoice"), &json!(2_000)),
            (&json!(2), &json!("credit_note"), &json!(2_000))
        ]
    );
    assert_eq!(docs[1]["reason"], "cancellation");
    assert_eq!(docs[1]["credits_number"], 1);
    assert_eq!(
        docs[1]["lines"][0]["description"],
        "cancelled: inv-pear by v-inv"
    );

    let (code, kind, csv) = export(&app, &vendor(SELLER), "", "text/csv").await;
    assert_eq!((code, kind.as_str()), (200, "text/csv; charset=utf-8"));
    let rows: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert_eq!(rows.len(), 3, "a header and one row per line: {csv}");
    assert!(rows[0].starts_with("document_id,kind,subject,issuer_kind,issuer_id,number,"));
    assert!(
        rows[2].contains(",credit_note,sale,vendor,v-inv,2,"),
        "{}",
        rows[2]
    );
    assert!(rows[2].ends_with(",2,1000,2000"), "{}", rows[2]);

    let period = "?format=csv&from=2000-01-01&to=2000-01-02";
    let (_, _, empty) = export(&app, &vendor(SELLER), period, "*/*").await;
    assert_eq!(empty.split_terminator("\r\n").count(), 1, "only the header");

    let platform = "?issuer_kind=platform";
    let (code, _, fees) = export(&app, &admin(), platform, "application/x-ndjson").await;
    assert_eq!(code, 200);
    let fee_totals: Vec<i64> = fees
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["total"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(fee_totals, [200, 200], "the fee invoiced, then given back");

    let refused = [
        (buyer("buyer-e"), "", 403),
        (vendor("v-other"), "?issuer_id=v-inv", 404),
        (vendor(SELLER), "?issuer_kind=platform", 403),
        (admin(), "", 400),
        (vendor(SELLER), "?format=xml", 400),
        (vendor(SELLER), "?from=2030-01-02&to=2030-01-01", 400),
    ];
    for (token, query, expected) in refused {
        let (code, _, body) = export(&app, &token, query, "*/*").await;
        assert_eq!(code, expected, "{query}: {body}");
    }
}
