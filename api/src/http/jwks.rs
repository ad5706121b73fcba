//! The signing keys of an identity provider (Keycloak, Auth0, Entra, …),
//! fetched from its JWKS document (`BAZAAR_JWT_JWKS_URL`) and cached by
//! key id (`kid`).
//!
//! Providers rotate keys: they publish the next key beside the current one,
//! start signing with it, and later drop the old one. So the cache is
//! refreshed when it is older than `max_age`, and at once when a token
//! names a `kid` the cache does not hold — but at most once per
//! `min_refetch`, so a flood of tokens with made-up key ids cannot turn
//! into a flood of requests to the provider. A refresh replaces the whole
//! set: a key the provider dropped stops verifying tokens. A failed
//! refresh keeps the keys already held (the provider being down for a
//! moment must not log everyone out) and is logged.
//!
//! Only RSA keys meant for signatures are taken (`use` absent or `sig`,
//! `alg` absent or `RS256`); the verifier accepts RS256 tokens only.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::DecodingKey;

use super::problem::Problem;

/// Longest a JWKS request may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// How often the keys are fetched.
#[derive(Debug, Clone, Copy)]
pub struct Refresh {
    /// Cached keys older than this are fetched again on the next token.
    pub max_age: Duration,
    /// Fetches happen at most this often, whatever tokens arrive.
    pub min_refetch: Duration,
}

impl Default for Refresh {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(600),
            min_refetch: Duration::from_secs(30),
        }
    }
}

/// A cached JWKS document; see the module docs.
pub struct Jwks {
    url: String,
    client: reqwest::Client,
    refresh: Refresh,
    cache: RwLock<Cache>,
    /// Held while fetching, so concurrent misses make one request.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, Arc<DecodingKey>>,
    fetched_at: Option<Instant>,
    attempted_at: Option<Instant>,
}

impl std::fmt::Debug for Jwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwks")
            .field("url", &self.url)
            .field("refresh", &self.refresh)
            .finish_non_exhaustive()
    }
}

impl Jwks {
    /// Keys from the JWKS document at `url`, fetched when first needed.
    pub fn new(url: impl Into<String>, refresh: Refresh) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder().timeout(FETCH_TIMEOUT).build()?;
        Ok(Self {
            url: url.into(),
            client,
            refresh,
            cache: RwLock::new(Cache::default()),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// The document's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Fetches the keys now (at start-up), so the first request does not
    /// wait; an error is returned for the caller to log, the keys are
    /// fetched again when a token needs them.
    pub async fn prime(&self) -> anyhow::Result<usize> {
        let _one = self.fetching.lock().await;
        self.fetch_into_cache().await
    }

    /// The key `kid`, fetching the document if the cache is stale or does
    /// not know `kid` (at most once per `min_refetch`); 401 if the
    /// provider does not publish it.
    pub async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, Problem> {
        let (cached, stale) = self.cached(kid);
        if let (Some(key), false) = (&cached, stale) {
            return Ok(key.clone());
        }
        self.refresh_if_due().await;
        self.cached(kid)
            .0
            .ok_or_else(|| Problem::unauthorized(format!("invalid token: unknown key id {kid:?}")))
    }

    fn cached(&self, kid: &str) -> (Option<Arc<DecodingKey>>, bool) {
        let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
        let stale = cache
            .fetched_at
            .is_none_or(|at| at.elapsed() >= self.refresh.max_age);
        (cache.keys.get(kid).cloned(), stale)
    }

    async fn refresh_if_due(&self) {
        let _one = self.fetching.lock().await;
        let due = {
            let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
            cache
                .attempted_at
                .is_none_or(|at| at.elapsed() >= self.refresh.min_refetch)
        };
        if !due {
            return;
        }
        if let Err(error) = self.fetch_into_cache().await {
            tracing::warn!(url = %self.url, error = %format!("{error:#}"), "JWKS refresh failed; keeping the keys held");
        }
    }

    /// One fetch (the caller holds `fetching`): replaces the cached keys.
    async fn fetch_into_cache(&self) -> anyhow::Result<usize> {
        self.cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .attempted_at = Some(Instant::now());
        let set: JwkSet = self
            .client
            .get(&self.url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let keys = signing_keys(&set);
        let count = keys.len();
        tracing::info!(url = %self.url, keys = count, "JWKS fetched");
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        cache.keys = keys;
        cache.fetched_at = Some(Instant::now());
        Ok(count)
    }
}

/// The RS256 signing keys of `set`, by `kid`; others are skipped.
fn signing_keys(set: &JwkSet) -> HashMap<String, Arc<DecodingKey>> {
    set.keys
        .iter()
        .filter(|jwk| is_rs256_signing_key(jwk))
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => Some((kid, Arc::new(key))),
                Err(error) => {
                    tracing::warn!(kid, %error, "JWKS: unusable key skipped");
                    None
                }
            }
        })
        .collect()
}

fn is_rs256_signing_key(jwk: &Jwk) -> bool {
    matches!(jwk.algorithm, AlgorithmParameters::RSA(_))
        && matches!(
            jwk.common.public_key_use,
            None | Some(PublicKeyUse::Signature)
        )
        && matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::RS256))
}
