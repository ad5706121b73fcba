//! Marketplace data made through the API itself, as clients would.

use serde_json::{json, Value};

use crate::helpers::{admin, buyer, vendor, TestApp};

/// How many times (25 ms apart) to look for what the workers do on their
/// own: generous, since the suite runs many apps on a few cores at once.
const POLLS: u32 = 1200;

/// Vendor `seller` receives `quantity` units of `sku` into warehouse `wh-1`.
pub(crate) async fn receive_stock(app: &TestApp, seller: &str, sku: &str, quantity: u32) -> Value {
    app.command(
        &vendor(seller),
        &format!("/v1/stock/{sku}/wh-1/batches"),
        &json!({"batch": format!("b-{sku}"), "quantity": quantity, "expires_on": "2099-12-31"}),
        200,
    )
    .await
}

/// A cart line of `quantity` units of `sku` sold by `seller` at `cents` EUR.
pub(crate) fn line(seller: &str, sku: &str, quantity: u32, cents: i64) -> Value {
    json!({
        "product": format!("p-{sku}"),
        "sku": sku,
        "warehouse": "wh-1",
        "vendor": seller,
        "title": format!("{sku} by {seller}"),
        "quantity": quantity,
        "unit_price": {"amount": cents, "currency": "EUR"},
    })
}

/// Buyer `who` checks out `lines` in EUR; returns the command's answer.
pub(crate) async fn place_order(app: &TestApp, who: &str, lines: Vec<Value>) -> Value {
    app.command(
        &buyer(who),
        "/v1/orders",
        &json!({"currency": "EUR", "lines": lines}),
        201,
    )
    .await
}

/// Waits (through `min_position`) until the order read model shows the
/// saga's verdict on `order`, then returns the order's detail as admin.
pub(crate) async fn order_when(app: &TestApp, order: &str, status: &str) -> Value {
    for _ in 0..POLLS {
        let response = app.get_as(&admin(), &format!("/v1/orders/{order}")).await;
        if response.status() == 200 {
            let detail: Value = response.json().await.unwrap();
            if detail["order"]["status"] == status {
                return detail;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("order {order} never reached {status}");
}

/// Pays `order` in full (as the payment webhook would).
pub(crate) async fn pay(app: &TestApp, order: &str, cents: i64) -> Value {
    app.command(
        &admin(),
        &format!("/v1/orders/{order}/payments"),
        &json!({"payment_id": format!("pay-{order}"), "amount": {"amount": cents, "currency": "EUR"}}),
        200,
    )
    .await
}

/// GETs `path` as `token` until `ready` accepts the body (bounded polling
/// for what the workers do on their own: the saga, timers).
pub(crate) async fn eventually(
    app: &TestApp,
    token: &str,
    path: &str,
    ready: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..POLLS {
        let response = app.get_as(token, path).await;
        if response.status() == 200 {
            last = response.json().await.unwrap();
            if ready(&last) {
                return last;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{path} never got there; last seen: {last}");
}

/// POSTs `body` to `path` as `token`, expecting a problem: its status and
/// the slug of its `type` (`/problems/<slug>`).
pub(crate) async fn refused(app: &TestApp, token: &str, path: &str, body: &Value) -> (u16, String) {
    let response = app.post_as(token, path, body).await;
    let status = response.status().as_u16();
    let problem: Value = response.json().await.unwrap_or(Value::Null);
    let slug = problem["type"]
        .as_str()
        .and_then(|t| t.strip_prefix("/problems/"))
        .unwrap_or_else(|| panic!("POST {path}: {status} is not a problem: {problem}"));
    (status, slug.to_owned())
}

/// POSTs `body` to `path` without a token; returns the status.
pub(crate) async fn anonymous_post(app: &TestApp, path: &str, body: &Value) -> u16 {
    app.client
        .post(format!("{}{path}", app.address))
        .json(body)
        .send()
        .await
        .expect("request sent")
        .status()
        .as_u16()
}

/// Buyer `who` checks out `lines` and pays them in full once the saga has
/// reserved the stock; returns the order id once the order reads PAID.
pub(crate) async fn paid_order(app: &TestApp, who: &str, lines: Vec<Value>) -> String {
    let placed = place_order(app, who, lines).await;
    let order = placed["aggregate_id"].as_str().unwrap().to_owned();
    let detail = order_when(app, &order, "AWAITING_PAYMENT").await;
    let total = detail["order"]["total"].as_i64().unwrap();
    pay(app, &order, total).await;
    order_when(app, &order, "PAID").await;
    order
}

/// The value of `position` in a command's answer.
pub(crate) fn position(answer: &Value) -> &str {
    answer["position"]
        .as_str()
        .unwrap_or_else(|| panic!("no position in {answer}"))
}

/// Expects `path` to refuse `body` from `token` with `status` and the
/// problem type `slug`, and the stream `(aggregate type, id)` to stay as
/// it was: a refused command writes nothing.
pub(crate) async fn refuses(
    app: &TestApp,
    (kind, id): (&str, &str),
    (token, path, body): (&str, &str, Value),
    status: u16,
    slug: &str,
) {
    let count = || async {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from events where aggregate_type = $1 and aggregate_id = $2",
        )
        .bind(kind)
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
    };
    let before = count().await;
    let answer = refused(app, token, path, &body).await;
    assert_eq!(answer, (status, slug.to_owned()), "POST {path} {body}");
    assert_eq!(count().await, before, "POST {path} wrote nothing");
}
