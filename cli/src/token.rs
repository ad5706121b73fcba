//! `bazaar token`: signs an HS256 bearer token with `BAZAAR_JWT_SECRET`,
//! for operators, local development and the simulator. Deployments that
//! use an identity provider (RS256) mint tokens there instead.

use clap::Args;

use bazaar_api::http::auth::{sign_hs256, Claims, Role};

/// What to put in the token.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The principal's id (`sub`): a buyer id for buyers.
    #[arg(long)]
    pub sub: String,
    /// `buyer`, `vendor`, `admin`, `auditor` or `agent`.
    #[arg(long, value_parser = parse_role)]
    pub role: Role,
    /// The vendor a vendor token acts for.
    #[arg(long)]
    pub vendor_id: Option<String>,
    /// The agent an agent token acts for.
    #[arg(long)]
    pub agent_id: Option<String>,
    /// Minutes until it expires.
    #[arg(long, default_value_t = 60)]
    pub ttl_minutes: u64,
    /// The HS256 secret.
    #[arg(long, env = "BAZAAR_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: String,
}

fn parse_role(text: &str) -> Result<Role, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| format!("{text:?} is not buyer, vendor, admin, auditor or agent"))
}

/// Prints a signed token.
pub fn run(args: &TokenArgs) -> anyhow::Result<()> {
    if args.role == Role::Vendor && args.vendor_id.is_none() {
        anyhow::bail!("a vendor token needs --vendor-id");
    }
    if args.role == Role::Agent && args.agent_id.is_none() {
        anyhow::bail!("an agent token needs --agent-id");
    }
    let ttl = std::time::Duration::from_secs(args.ttl_minutes * 60);
    let mut claims = Claims::expiring_in(&args.sub, args.role, args.vendor_id.clone(), ttl);
    if let Some(agent) = &args.agent_id {
        claims = claims.for_agent(agent);
    }
    println!("{}", sign_hs256(args.jwt_secret.as_bytes(), &claims)?);
    Ok(())
}
