//! The HTTP server's settings: its address, token keys, limits and the
//! policy values new orders take, as flags and environment variables of
//! the `bazaar serve` and `bazaar api` subcommands.

use std::net::SocketAddr;

use clap::Args;

/// Where a process without the API (`bazaar workers`, `bazaar relay`)
/// serves `/health/live`, `/health/ready` and `/metrics`.
#[derive(Debug, Clone, Args)]
pub struct OpsSettings {
    /// Address of this process's health and metrics endpoints; unset: none
    /// (`serve` and `api` serve them on the API's address).
    #[arg(long, env = "BAZAAR_OPS_ADDR")]
    pub ops_addr: Option<SocketAddr>,
}

/// Settings of the HTTP server.
#[derive(Debug, Clone, Args)]
pub struct HttpSettings {
    /// Address the API listens on (port 0 picks a free port).
    #[arg(long, env = "BAZAAR_HTTP_ADDR", default_value = "127.0.0.1:8080")]
    pub http_addr: SocketAddr,

    /// Shared secret of HS256 bearer tokens. One of this and
    /// `BAZAAR_JWT_PUBLIC_KEY` is required.
    #[arg(long, env = "BAZAAR_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// PEM file of the RSA public key of RS256 bearer tokens (instead of a secret).
    #[arg(long, env = "BAZAAR_JWT_PUBLIC_KEY")]
    pub jwt_public_key: Option<std::path::PathBuf>,

    /// URL of an identity provider's JWKS document: RS256 bearer tokens
    /// signed with its keys, chosen by `kid` (instead of a secret or a key file).
    #[arg(long, env = "BAZAAR_JWT_JWKS_URL")]
    pub jwt_jwks_url: Option<String>,

    /// The `iss` claim every token must carry (unchecked when unset).
    #[arg(long, env = "BAZAAR_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,

    /// A value the `aud` claim of every token must hold (unchecked when unset).
    #[arg(long, env = "BAZAAR_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "BAZAAR_MAX_BODY_BYTES", default_value_t = 262_144)]
    pub max_body_bytes: usize,

    /// Requests per second each principal may make (per API process; 0 = unlimited).
    #[arg(long, env = "BAZAAR_RATE_LIMIT_PER_SECOND", default_value_t = 50)]
    pub rate_limit_per_second: u32,

    /// Requests a principal may make at once before the rate applies.
    #[arg(long, env = "BAZAAR_RATE_LIMIT_BURST", default_value_t = 100)]
    pub rate_limit_burst: u32,

    /// Requests per second each client address may make before its token
    /// is checked (per API process; 0 = unlimited).
    #[arg(
        long,
        env = "BAZAAR_CLIENT_RATE_LIMIT_PER_SECOND",
        default_value_t = 1_000
    )]
    pub client_rate_limit_per_second: u32,

    /// Requests a client address may make at once before its rate applies.
    #[arg(long, env = "BAZAAR_CLIENT_RATE_LIMIT_BURST", default_value_t = 2_000)]
    pub client_rate_limit_burst: u32,

    /// Proxies of ours in front of the API that append to `X-Forwarded-For`
    /// (0: the client is the connection's peer).
    #[arg(long, env = "BAZAAR_TRUSTED_PROXY_HOPS", default_value_t = 0,
          value_parser = clap::value_parser!(u8).range(0..=8))]
    pub trusted_proxy_hops: u8,

    /// Longest a query with `min_position` waits for the read models, in ms.
    #[arg(long, env = "BAZAAR_READ_WAIT_MS", default_value_t = 5_000)]
    pub read_wait_ms: u64,

    /// Seconds a request may take before it is dropped and answers 503
    /// `timeout`; more than the read wait, so a waiting query can answer.
    #[arg(long, env = "BAZAAR_REQUEST_TIMEOUT_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub request_timeout_seconds: u64,

    /// Hours idempotency keys are kept (at least 24).
    #[arg(long, env = "BAZAAR_IDEMPOTENCY_RETENTION_HOURS", default_value_t = 24,
          value_parser = clap::value_parser!(u64).range(24..))]
    pub idempotency_retention_hours: u64,

    /// Seconds a running request holds its Idempotency-Key: after a crash,
    /// a retry with the key runs once this lease has lapsed.
    #[arg(long, env = "BAZAAR_IDEMPOTENCY_LEASE_SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub idempotency_lease_seconds: u64,

    /// The platform fee rate in force for new orders, in basis points.
    #[arg(long, env = "BAZAAR_FEE_RATE_BPS", default_value_t = 1_000,
          value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub fee_rate_bps: u32,

    /// Minutes a buyer has to pay a new order before it expires.
    #[arg(long, env = "BAZAAR_PAYMENT_WINDOW_MINUTES", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=10_080))]
    pub payment_window_minutes: u32,
}

impl HttpSettings {
    /// Settings for `addr` with every default and `secret` for tokens.
    pub fn new(addr: SocketAddr, secret: &str) -> Self {
        Self {
            http_addr: addr,
            jwt_secret: Some(secret.to_owned()),
            jwt_public_key: None,
            jwt_jwks_url: None,
            jwt_issuer: None,
            jwt_audience: None,
            max_body_bytes: 262_144,
            rate_limit_per_second: 50,
            rate_limit_burst: 100,
            client_rate_limit_per_second: 1_000,
            client_rate_limit_burst: 2_000,
            trusted_proxy_hops: 0,
            read_wait_ms: 5_000,
            request_timeout_seconds: 30,
            idempotency_retention_hours: 24,
            idempotency_lease_seconds: 60,
            fee_rate_bps: 1_000,
            payment_window_minutes: 30,
        }
    }

    /// The request timeout, which must leave a query its read wait.
    pub fn request_timeout(&self) -> anyhow::Result<std::time::Duration> {
        let timeout = std::time::Duration::from_secs(self.request_timeout_seconds);
        let wait = std::time::Duration::from_millis(self.read_wait_ms);
        anyhow::ensure!(
            timeout > wait,
            "BAZAAR_REQUEST_TIMEOUT_SECONDS ({timeout:?}) must exceed BAZAAR_READ_WAIT_MS ({wait:?})"
        );
        Ok(timeout)
    }

    /// The token verifier these settings describe: one key source
    /// (secret, key file or JWKS URL), and the issuer and audience to check.
    pub fn verifier(&self) -> anyhow::Result<crate::http::auth::Verifier> {
        Ok(self.key_source()?.expecting(
            self.jwt_issuer.as_deref().filter(|s| !s.is_empty()),
            self.jwt_audience.as_deref().filter(|s| !s.is_empty()),
        ))
    }

    fn key_source(&self) -> anyhow::Result<crate::http::auth::Verifier> {
        use crate::http::auth::Verifier;
        use crate::http::jwks::{Jwks, Refresh};
        use anyhow::Context as _;
        let sources = [
            self.jwt_secret.is_some(),
            self.jwt_public_key.is_some(),
            self.jwt_jwks_url.is_some(),
        ];
        if sources.iter().filter(|set| **set).count() > 1 {
            anyhow::bail!(
                "set one of BAZAAR_JWT_SECRET, BAZAAR_JWT_PUBLIC_KEY and BAZAAR_JWT_JWKS_URL, not several"
            );
        }
        if let Some(url) = &self.jwt_jwks_url {
            let parsed = reqwest::Url::parse(url)
                .with_context(|| format!("BAZAAR_JWT_JWKS_URL {url:?} is not a URL"))?;
            anyhow::ensure!(
                matches!(parsed.scheme(), "https" | "http"),
                "BAZAAR_JWT_JWKS_URL must be an http(s) URL"
            );
            let jwks = Jwks::new(url.clone(), Refresh::default())?;
            return Ok(Verifier::rs256_jwks(std::sync::Arc::new(jwks)));
        }
        match (&self.jwt_secret, &self.jwt_public_key) {
            (Some(secret), _) if secret.len() >= 32 => Ok(Verifier::hs256(secret.as_bytes())),
            (Some(_), _) => anyhow::bail!("BAZAAR_JWT_SECRET must be at least 32 bytes"),
            (None, Some(path)) => {
                let pem = std::fs::read(path).with_context(|| {
                    format!("cannot read BAZAAR_JWT_PUBLIC_KEY {}", path.display())
                })?;
                Verifier::rs256_pem(&pem)
                    .context("BAZAAR_JWT_PUBLIC_KEY is not an RSA public key in PEM")
            }
            (None, None) => anyhow::bail!(
                "the API needs BAZAAR_JWT_SECRET (HS256), BAZAAR_JWT_PUBLIC_KEY or BAZAAR_JWT_JWKS_URL (RS256)"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> HttpSettings {
        let mut settings = HttpSettings::new("127.0.0.1:0".parse().unwrap(), "");
        settings.jwt_secret = None;
        settings
    }

    #[test]
    fn exactly_one_key_source_is_taken() {
        let mut jwks = settings();
        jwks.jwt_jwks_url = Some("https://idp.example.test/certs".into());
        jwks.jwt_issuer = Some("https://idp.example.test".into());
        let verifier = jwks.verifier().unwrap();
        assert!(verifier.jwks().is_some());
        assert!(format!("{verifier:?}").contains("idp.example.test/certs"));

        let mut both = jwks.clone();
        both.jwt_secret = Some("s".repeat(32));
        assert!(both.verifier().is_err());
        let mut not_a_url = settings();
        not_a_url.jwt_jwks_url = Some("idp certs".into());
        assert!(not_a_url.verifier().is_err());
        assert!(settings().verifier().is_err());
        let mut secret = settings();
        secret.jwt_secret = Some("s".repeat(32));
        assert!(secret.verifier().unwrap().jwks().is_none());
    }
}
