//! Tokens from an identity provider: RS256 with a `kid`, verified with the
//! keys of a JWKS document that the test serves itself (a tiny axum
//! server), with `iss` and `aud` checked, a key rotation, a key id the
//! provider does not publish, and the refetch rate limit.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use bazaar_api::http::auth::{sign_hs256, Claims, Role, Verifier};
use bazaar_api::http::jwks::{Jwks, Refresh};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

const ISSUER: &str = "https://idp.example.test/realms/bazaar";
const AUDIENCE: &str = "bazaar-api";
// key pairs made for these tests only (api/tests/fixtures)
const KEY_1: &[u8] = include_bytes!("../fixtures/rs256-test-private.pem");
const KEY_2: &[u8] = include_bytes!("../fixtures/rs256-test-2-private.pem");
const JWK_1: &str = include_str!("../fixtures/rs256-test-jwk.json");
const JWK_2: &str = include_str!("../fixtures/rs256-test-2-jwk.json");

/// The identity provider's JWKS endpoint: the published keys, and how
/// often they were fetched.
struct Provider {
    keys: Mutex<Vec<Value>>,
    fetches: AtomicUsize,
}

impl Provider {
    async fn start(keys: Vec<Value>) -> (Arc<Self>, String) {
        let provider = Arc::new(Self {
            keys: Mutex::new(keys),
            fetches: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/certs", get(certs))
            .with_state(provider.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/certs", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (provider, url)
    }

    fn publish(&self, keys: Vec<Value>) {
        *self.keys.lock().unwrap() = keys;
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

async fn certs(State(provider): State<Arc<Provider>>) -> Json<Value> {
    provider.fetches.fetch_add(1, Ordering::SeqCst);
    Json(json!({ "keys": *provider.keys.lock().unwrap() }))
}

/// A published public key under `kid`.
fn jwk(public: &str, kid: &str) -> Value {
    let mut key: Value = serde_json::from_str(public).unwrap();
    key["kid"] = kid.into();
    key["use"] = "sig".into();
    key["alg"] = "RS256".into();
    key
}

fn claims(iss: Option<&str>, aud: Option<&str>) -> Value {
    let exp = chrono::Utc::now().timestamp() + 600;
    let mut claims = json!({ "sub": "ops-1", "role": "admin", "exp": exp });
    if let Some(iss) = iss {
        claims["iss"] = iss.into();
    }
    if let Some(aud) = aud {
        claims["aud"] = json!([aud, "account"]);
    }
    claims
}

fn rs256(private: &[u8], kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(private).unwrap(),
    )
    .unwrap()
}

fn verifier(url: &str, min_refetch: Duration) -> Verifier {
    let refresh = Refresh {
        max_age: Duration::from_secs(3_600),
        min_refetch,
    };
    Verifier::rs256_jwks(Arc::new(Jwks::new(url, refresh).unwrap()))
        .expecting(Some(ISSUER), Some(AUDIENCE))
}

async fn status(verifier: &Verifier, token: &str) -> u16 {
    match verifier.verify(token).await {
        Ok(_) => 200,
        Err(problem) => problem.status().as_u16(),
    }
}

#[tokio::test]
async fn a_token_signed_with_a_published_key_is_accepted_with_its_issuer_and_audience() {
    let (provider, url) = Provider::start(vec![jwk(JWK_1, "k1")]).await;
    let verifier = verifier(&url, Duration::ZERO);

    let good = rs256(KEY_1, Some("k1"), &claims(Some(ISSUER), Some(AUDIENCE)));
    let principal = verifier.verify(&good).await.unwrap();
    assert_eq!(
        (principal.sub.as_str(), principal.role),
        ("ops-1", Role::Admin)
    );

    let refused = [
        (
            "another issuer",
            rs256(
                KEY_1,
                Some("k1"),
                &claims(Some("https://evil.test"), Some(AUDIENCE)),
            ),
        ),
        (
            "no issuer",
            rs256(KEY_1, Some("k1"), &claims(None, Some(AUDIENCE))),
        ),
        (
            "another audience",
            rs256(KEY_1, Some("k1"), &claims(Some(ISSUER), Some("other-api"))),
        ),
        (
            "no audience",
            rs256(KEY_1, Some("k1"), &claims(Some(ISSUER), None)),
        ),
        (
            "no kid",
            rs256(KEY_1, None, &claims(Some(ISSUER), Some(AUDIENCE))),
        ),
        (
            "signed by an unpublished key under a published kid",
            rs256(KEY_2, Some("k1"), &claims(Some(ISSUER), Some(AUDIENCE))),
        ),
    ];
    for (what, token) in refused {
        assert_eq!(status(&verifier, &token).await, 401, "{what}");
    }
    // an HS256 token signed with the public key's own text (algorithm
    // confusion) names a published kid and is still refused
    let mut forged = Header::new(Algorithm::HS256);
    forged.kid = Some("k1".into());
    let forged = jsonwebtoken::encode(
        &forged,
        &claims(Some(ISSUER), Some(AUDIENCE)),
        &EncodingKey::from_secret(JWK_1.as_bytes()),
    )
    .unwrap();
    assert_eq!(status(&verifier, &forged).await, 401);
    assert!(provider.fetches() >= 1);
}

#[tokio::test]
async fn a_rotated_key_is_fetched_by_its_kid_and_a_dropped_key_stops_verifying() {
    let (provider, url) = Provider::start(vec![jwk(JWK_1, "k1")]).await;
    let verifier = verifier(&url, Duration::ZERO);
    let first = rs256(KEY_1, Some("k1"), &claims(Some(ISSUER), Some(AUDIENCE)));
    let second = rs256(KEY_2, Some("k2"), &claims(Some(ISSUER), Some(AUDIENCE)));
    assert_eq!(status(&verifier, &first).await, 200);
    assert_eq!(
        status(&verifier, &second).await,
        401,
        "k2 is not published yet"
    );
    let fetched = provider.fetches();

    // the provider rotates: k2 signs, k1 is gone
    provider.publish(vec![jwk(JWK_2, "k2")]);
    assert_eq!(status(&verifier, &second).await, 200);
    assert_eq!(
        provider.fetches(),
        fetched + 1,
        "the unknown kid made one fetch"
    );
    assert_eq!(status(&verifier, &second).await, 200);
    assert_eq!(
        provider.fetches(),
        fetched + 1,
        "a known kid is served from the cache"
    );
    assert_eq!(status(&verifier, &first).await, 401, "k1 was dropped");
}

#[tokio::test]
async fn unknown_key_ids_refetch_at_most_once_per_interval() {
    let (provider, url) = Provider::start(vec![jwk(JWK_1, "k1")]).await;
    let verifier = verifier(&url, Duration::from_secs(3_600));
    let good = rs256(KEY_1, Some("k1"), &claims(Some(ISSUER), Some(AUDIENCE)));
    assert_eq!(status(&verifier, &good).await, 200);
    assert_eq!(provider.fetches(), 1);

    provider.publish(vec![jwk(JWK_1, "k1"), jwk(JWK_2, "k2")]);
    for kid in ["made-up-1", "made-up-2", "k2", "made-up-3"] {
        let token = rs256(KEY_2, Some(kid), &claims(Some(ISSUER), Some(AUDIENCE)));
        assert_eq!(status(&verifier, &token).await, 401, "{kid}");
    }
    assert_eq!(
        provider.fetches(),
        1,
        "no fetch within the refetch interval"
    );
    assert_eq!(status(&verifier, &good).await, 200, "k1 still verifies");
}

#[tokio::test]
async fn the_hs256_path_still_works_and_checks_issuer_and_audience_when_set() {
    let secret = b"0123456789abcdef0123456789abcdef";
    let plain = sign_hs256(
        secret,
        &Claims::expiring_in("ops-1", Role::Admin, None, Duration::from_secs(600)),
    )
    .unwrap();
    assert_eq!(status(&Verifier::hs256(secret), &plain).await, 200);
    let strict = Verifier::hs256(secret).expecting(Some(ISSUER), Some(AUDIENCE));
    assert_eq!(status(&strict, &plain).await, 401, "no iss and aud");
    let full = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(Some(ISSUER), Some(AUDIENCE)),
        &EncodingKey::from_secret(secret),
    )
    .unwrap();
    assert_eq!(status(&strict, &full).await, 200);
}

#[tokio::test]
async fn an_unreachable_provider_is_a_401_not_a_failure_of_the_server() {
    // a port nothing listens on: bind one, then free it
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/certs", listener.local_addr().unwrap());
    drop(listener);
    let verifier = verifier(&url, Duration::ZERO);
    let token = rs256(KEY_1, Some("k1"), &claims(Some(ISSUER), Some(AUDIENCE)));
    assert_eq!(status(&verifier, &token).await, 401);
}
