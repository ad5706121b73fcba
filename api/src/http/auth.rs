//! Who is calling: JWT bearer tokens, verified with an HS256 secret, an
//! RS256 public key or the RS256 keys of an identity provider's JWKS
//! document (`super::jwks`), turned into a [`Principal`].
//!
//! Only the configured algorithm is accepted (no `alg` switching), `exp`
//! is required, `iss` and `aud` are checked when an issuer and an audience
//! are configured, and the claims must make sense for the role: a vendor
//! token names its `vendor_id`, a buyer's `sub` is a valid buyer id. What a
//! principal may then do is decided per resource by the handlers, through
//! the helpers here ([`Principal::require_writer`], [`Principal::sees_vendor`]).

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bazaar_domain::ids::{AgentId, BuyerId, VendorId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

use super::jwks::Jwks;
use super::problem::Problem;

/// What a principal is to the marketplace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Places and follows its own orders and escrows.
    Buyer,
    /// Sells: its own vendor orders, stock and balances.
    Vendor,
    /// Operates the marketplace: everything.
    Admin,
    /// Reads everything, writes nothing.
    Auditor,
    /// Brokers escrow sales: reads the escrows it is the agent of and its
    /// commissions, nothing else, and writes nothing.
    Agent,
}

/// The claims Bazaar reads from a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The principal's id.
    pub sub: String,
    /// Its role.
    pub role: Role,
    /// The vendor a vendor token acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<String>,
    /// The agent an agent token acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
}

impl Claims {
    /// Claims of a token for `sub` as `role` (acting for `vendor_id`, for
    /// vendors) that expires `ttl` from now.
    pub fn expiring_in(
        sub: impl Into<String>,
        role: Role,
        vendor_id: Option<String>,
        ttl: std::time::Duration,
    ) -> Self {
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
        Self {
            sub: sub.into(),
            role,
            vendor_id,
            agent_id: None,
            exp: now + ttl.as_secs(),
        }
    }

    /// The same claims acting for agent `agent_id` (agent tokens).
    pub fn for_agent(mut self, agent_id: impl Into<String>) -> Self {
        self.agent_id = Some(agent_id.into());
        self
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's subject.
    pub sub: String,
    /// Its role.
    pub role: Role,
    /// The vendor it acts for (vendors only).
    pub vendor: Option<VendorId>,
    /// The agent it acts for (agents only).
    pub agent: Option<AgentId>,
}

impl Principal {
    /// How events and logs name this caller: `role:sub`.
    pub fn actor(&self) -> String {
        let role = serde_json::to_value(self.role)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        format!("{role}:{}", self.sub)
    }

    /// Auditors and agents write nothing.
    pub fn require_writer(&self) -> Result<(), Problem> {
        match self.role {
            Role::Auditor => Err(Problem::forbidden("auditors have read-only access")),
            Role::Agent => Err(Problem::forbidden("agents have read-only access")),
            Role::Buyer | Role::Vendor | Role::Admin => Ok(()),
        }
    }

    /// Whether this principal is agent `agent`.
    pub fn is_agent(&self, agent: &str) -> bool {
        self.role == Role::Agent && self.agent.as_ref().is_some_and(|a| a.as_ref() == agent)
    }

    /// Agent `agent`'s data: that agent, admins and auditors; 404 for
    /// anyone else (an agent must not learn which other agents exist).
    pub fn require_agent(&self, agent: &str) -> Result<(), Problem> {
        if self.sees_everything() || self.is_agent(agent) {
            Ok(())
        } else {
            Err(Problem::not_found(format!(
                "no agent {agent} visible to you"
            )))
        }
    }

    /// Only admins.
    pub fn require_admin(&self) -> Result<(), Problem> {
        if self.role != Role::Admin {
            return Err(Problem::forbidden("this needs the admin role"));
        }
        Ok(())
    }

    /// Admins and auditors see every resource.
    pub fn sees_everything(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Auditor)
    }

    /// The buyer id of a buyer principal.
    pub fn buyer(&self) -> Option<BuyerId> {
        (self.role == Role::Buyer)
            .then(|| BuyerId::parse(&self.sub).ok())
            .flatten()
    }

    /// Whether this principal may see vendor `vendor`'s data.
    pub fn sees_vendor(&self, vendor: &str) -> bool {
        self.sees_everything() || self.vendor.as_ref().is_some_and(|v| v.as_ref() == vendor)
    }

    /// Vendor `vendor`'s data, or 404 for anyone else (not 403: a vendor
    /// must not learn which other vendors exist) and for a string that is
    /// no vendor id at all.
    pub fn require_vendor(&self, vendor: &str) -> Result<(), Problem> {
        if VendorId::parse(vendor).is_ok() && self.sees_vendor(vendor) {
            Ok(())
        } else {
            Err(Problem::not_found(format!(
                "no vendor {vendor} visible to you"
            )))
        }
    }
}

/// Checks tokens: one algorithm, and either one key or the keys of an
/// identity provider's JWKS document, chosen by the token's `kid`.
#[derive(Clone)]
pub struct Verifier {
    keys: Keys,
    validation: Arc<Validation>,
}

#[derive(Clone)]
enum Keys {
    Fixed(Arc<DecodingKey>),
    Jwks(Arc<Jwks>),
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = f.debug_struct("Verifier");
        out.field("algorithms", &self.validation.algorithms)
            .field("issuer", &self.validation.iss)
            .field("audience", &self.validation.aud);
        if let Keys::Jwks(jwks) = &self.keys {
            out.field("jwks", &jwks.url());
        }
        out.finish_non_exhaustive()
    }
}

impl Verifier {
    /// Tokens signed with the shared secret (HS256).
    pub fn hs256(secret: &[u8]) -> Self {
        Self::with(
            Keys::Fixed(Arc::new(DecodingKey::from_secret(secret))),
            Algorithm::HS256,
        )
    }

    /// Tokens signed by the holder of the private key of this PEM public
    /// key (RS256).
    pub fn rs256_pem(pem: &[u8]) -> anyhow::Result<Self> {
        Ok(Self::with(
            Keys::Fixed(Arc::new(DecodingKey::from_rsa_pem(pem)?)),
            Algorithm::RS256,
        ))
    }

    /// RS256 tokens signed with a key of an identity provider's JWKS
    /// document, named by the token's `kid`.
    pub fn rs256_jwks(jwks: Arc<Jwks>) -> Self {
        Self::with(Keys::Jwks(jwks), Algorithm::RS256)
    }

    fn with(keys: Keys, algorithm: Algorithm) -> Self {
        let mut validation = Validation::new(algorithm);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 30;
        // checked only when an audience is expected (see `expecting`)
        validation.validate_aud = false;
        Self {
            keys,
            validation: Arc::new(validation),
        }
    }

    /// Also requires the `iss` claim to be `issuer` and the `aud` claim
    /// to name `audience`, each when given.
    #[must_use]
    pub fn expecting(mut self, issuer: Option<&str>, audience: Option<&str>) -> Self {
        let validation = Arc::make_mut(&mut self.validation);
        let mut required = vec!["exp", "sub"];
        if let Some(issuer) = issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        if let Some(audience) = audience {
            validation.set_audience(&[audience]);
            validation.validate_aud = true;
            required.push("aud");
        }
        validation.set_required_spec_claims(&required);
        self
    }

    /// The JWKS document this verifier takes its keys from, if any.
    pub fn jwks(&self) -> Option<&Arc<Jwks>> {
        match &self.keys {
            Keys::Jwks(jwks) => Some(jwks),
            Keys::Fixed(_) => None,
        }
    }

    /// The principal a token proves, or 401.
    pub async fn verify(&self, token: &str) -> Result<Principal, Problem> {
        let invalid = |error: jsonwebtoken::errors::Error| {
            Problem::unauthorized(format!("invalid token: {error}"))
        };
        let key = match &self.keys {
            Keys::Fixed(key) => key.clone(),
            Keys::Jwks(jwks) => {
                let header = jsonwebtoken::decode_header(token).map_err(invalid)?;
                if !self.validation.algorithms.contains(&header.alg) {
                    return Err(Problem::unauthorized(
                        "invalid token: the algorithm is not RS256",
                    ));
                }
                let kid = header
                    .kid
                    .ok_or_else(|| Problem::unauthorized("invalid token: no key id (kid)"))?;
                jwks.key(&kid).await?
            }
        };
        let data =
            jsonwebtoken::decode::<Claims>(token, &key, &self.validation).map_err(invalid)?;
        principal_of(data.claims)
    }
}

fn principal_of(claims: Claims) -> Result<Principal, Problem> {
    let vendor = match (claims.role, claims.vendor_id) {
        (Role::Vendor, Some(id)) => Some(
            VendorId::parse(id)
                .map_err(|e| Problem::unauthorized(format!("invalid token: {e}")))?,
        ),
        (Role::Vendor, None) => {
            return Err(Problem::unauthorized(
                "invalid token: a vendor token needs vendor_id",
            ))
        }
        (_, _) => None,
    };
    let agent = match (claims.role, claims.agent_id) {
        (Role::Agent, Some(id)) => Some(
            AgentId::parse(id).map_err(|e| Problem::unauthorized(format!("invalid token: {e}")))?,
        ),
        (Role::Agent, None) => {
            return Err(Problem::unauthorized(
                "invalid token: an agent token needs agent_id",
            ))
        }
        (_, _) => None,
    };
    if claims.role == Role::Buyer {
        BuyerId::parse(&claims.sub)
            .map_err(|e| Problem::unauthorized(format!("invalid token: {e}")))?;
    }
    if claims.sub.is_empty() || claims.sub.len() > 200 {
        return Err(Problem::unauthorized("invalid token: bad sub"));
    }
    Ok(Principal {
        sub: claims.sub,
        role: claims.role,
        vendor,
        agent,
    })
}

/// Signs HS256 tokens: for `bazaar token`, the simulator and tests.
pub fn sign_hs256(secret: &[u8], claims: &Claims) -> anyhow::Result<String> {
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )?)
}

/// Middleware: verifies the bearer token and stores the [`Principal`] in
/// the request's extensions; 401 without a valid one.
pub async fn authenticate(
    State(verifier): State<Verifier>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        });
    let Some(token) = token else {
        return with_challenge(Problem::unauthorized(
            "send `Authorization: Bearer <token>`",
        ));
    };
    match verifier.verify(token.trim()).await {
        Ok(principal) => {
            tracing::Span::current().record("actor", principal.actor());
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(problem) => with_challenge(problem),
    }
}

fn with_challenge(problem: Problem) -> Response {
    let mut response = problem.into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    response
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| Problem::unauthorized("no credentials"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(role: Role, vendor: Option<&str>) -> Claims {
        Claims {
            sub: "buyer-1".into(),
            role,
            vendor_id: vendor.map(str::to_owned),
            agent_id: None,
            exp: u64::try_from(chrono::Utc::now().timestamp()).unwrap() + 600,
        }
    }

    #[tokio::test]
    async fn a_signed_token_proves_its_principal() {
        let token = sign_hs256(b"secret", &claims(Role::Vendor, Some("v-1"))).unwrap();
        let principal = Verifier::hs256(b"secret").verify(&token).await.unwrap();
        assert_eq!(principal.role, Role::Vendor);
        assert_eq!(principal.vendor.unwrap().as_ref(), "v-1");
    }

    #[tokio::test]
    async fn another_secret_expiry_or_missing_vendor_is_refused() {
        let token = sign_hs256(b"other", &claims(Role::Buyer, None)).unwrap();
        assert_eq!(
            Verifier::hs256(b"secret")
                .verify(&token)
                .await
                .unwrap_err()
                .status(),
            401
        );
        let mut old = claims(Role::Buyer, None);
        old.exp = 1_000;
        let token = sign_hs256(b"secret", &old).unwrap();
        assert!(Verifier::hs256(b"secret").verify(&token).await.is_err());
        let token = sign_hs256(b"secret", &claims(Role::Vendor, None)).unwrap();
        assert!(Verifier::hs256(b"secret").verify(&token).await.is_err());
    }

    #[tokio::test]
    async fn rs256_tokens_are_checked_with_the_public_key_and_no_other_algorithm() {
        // a key pair made for this test only (api/tests/fixtures)
        let private = include_bytes!("../../tests/fixtures/rs256-test-private.pem");
        let public = include_bytes!("../../tests/fixtures/rs256-test-public.pem");
        let key = EncodingKey::from_rsa_pem(private).unwrap();
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::RS256),
            &claims(Role::Auditor, None),
            &key,
        )
        .unwrap();
        let verifier = Verifier::rs256_pem(public).unwrap();
        assert_eq!(verifier.verify(&token).await.unwrap().role, Role::Auditor);
        // an HS256 token signed with the public key's bytes (the classic
        // algorithm-confusion attack) is refused
        let forged = sign_hs256(public, &claims(Role::Admin, None)).unwrap();
        assert_eq!(verifier.verify(&forged).await.unwrap_err().status(), 401);
    }

    #[test]
    fn auditors_cannot_write_and_vendors_see_only_themselves() {
        let auditor = Principal {
            sub: "a".into(),
            role: Role::Auditor,
            vendor: None,
            agent: None,
        };
        assert!(auditor.require_writer().is_err());
        assert!(auditor.sees_vendor("v-9"));
        let vendor = Principal {
            sub: "u".into(),
            role: Role::Vendor,
            vendor: Some(VendorId::parse("v-1").unwrap()),
            agent: None,
        };
        assert!(vendor.sees_vendor("v-1"));
        assert!(!vendor.sees_vendor("v-2"));
        assert_eq!(vendor.require_vendor("v-2").unwrap_err().status(), 404);
    }

    #[tokio::test]
    async fn agent_tokens_name_their_agent_and_agents_write_nothing() {
        let token = sign_hs256(b"secret", &claims(Role::Agent, None).for_agent("ag-1")).unwrap();
        let agent = Verifier::hs256(b"secret").verify(&token).await.unwrap();
        assert_eq!(agent.role, Role::Agent);
        assert!(agent.is_agent("ag-1") && !agent.is_agent("ag-2"));
        assert!(agent.require_writer().is_err());
        assert!(!agent.sees_vendor("v-1") && !agent.sees_everything());
        assert_eq!(agent.require_agent("ag-2").unwrap_err().status(), 404);
        let token = sign_hs256(b"secret", &claims(Role::Agent, None)).unwrap();
        assert_eq!(
            Verifier::hs256(b"secret")
                .verify(&token)
                .await
                .unwrap_err()
                .status(),
            401,
            "an agent token without agent_id"
        );
    }
}
