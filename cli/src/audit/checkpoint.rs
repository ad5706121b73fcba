//! `bazaar audit checkpoint keygen | sign | verify`.

use std::path::PathBuf;

use anyhow::Context;
use bazaar_event_store::audit::checkpoint::{check, sign};
use bazaar_event_store::audit::{keys, Checkpoint};
use clap::Subcommand;

use super::{connect, files, print};
use bazaar_runtime::config::Settings;

/// `bazaar audit checkpoint …`
#[derive(Debug, Subcommand)]
pub enum CheckpointCommand {
    /// Generate an Ed25519 key pair: FILE (PKCS#8 PEM, private, mode 0600)
    /// and FILE.pub (public key PEM). Never overwrites a file.
    Keygen {
        /// Where to write the private key.
        #[arg(long)]
        out: PathBuf,
    },
    /// Recompute every hash chain below the current commit horizon and,
    /// if all hold, sign their heads; writes the checkpoint as JSON.
    Sign {
        /// The private key (PKCS#8 PEM).
        #[arg(long)]
        key: PathBuf,
        /// Where to write the checkpoint (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Names the store in the checkpoint (default: the database name).
        #[arg(long)]
        label: Option<String>,
    },
    /// Check a checkpoint's signature offline with a trusted public key and,
    /// with --against-store, that the database at DATABASE_URL still has
    /// the signed heads. Exits 1 if anything does not hold.
    Verify {
        /// The checkpoint file.
        file: PathBuf,
        /// The signer's public key (PEM), obtained from the signer, not from
        /// the checkpoint.
        #[arg(long)]
        public_key: PathBuf,
        /// Also recompute the store's chain heads at the checkpoint's horizon.
        #[arg(long)]
        against_store: bool,
    },
}

/// Runs one `checkpoint` subcommand.
pub(super) async fn run(settings: &Settings, command: CheckpointCommand) -> anyhow::Result<()> {
    match command {
        CheckpointCommand::Keygen { out } => keygen(out),
        CheckpointCommand::Sign { key, out, label } => {
            let key = keys::read_private_key(&files::read(&key)?)?;
            let pool = connect(settings)?;
            let label = match label {
                Some(label) => label,
                None => sqlx::query_scalar("select current_database()")
                    .fetch_one(&pool)
                    .await
                    .context("cannot reach the database (see DATABASE_URL)")?,
            };
            let checkpoint = sign(&pool, &key, &label).await?;
            files::write_whole(out.as_deref(), &serde_json::to_string_pretty(&checkpoint)?)
        }
        CheckpointCommand::Verify {
            file,
            public_key,
            against_store,
        } => {
            let checkpoint = Checkpoint::from_json(&files::read(&file)?)?;
            let key = keys::read_public_key(&files::read(&public_key)?)?;
            let pool = against_store.then(|| connect(settings)).transpose()?;
            let report = check(&checkpoint, &key, pool.as_ref()).await?;
            print::json(&report)?;
            if !report.signature_valid {
                anyhow::bail!("the signature does not hold for this public key");
            }
            if !report.passed() {
                anyhow::bail!("the store no longer has the signed chain heads");
            }
            Ok(())
        }
    }
}

fn keygen(out: PathBuf) -> anyhow::Result<()> {
    let key = keys::generate()?;
    let mut public = out.clone().into_os_string();
    public.push(".pub");
    let public = PathBuf::from(public);
    files::write_secret(&out, &keys::private_key_pem(&key)?)?;
    files::write_new(&public, &keys::public_key_pem(&key.verifying_key())?)?;
    eprintln!(
        "private key: {} (keep it secret)\npublic key: {} (give it to verifiers)",
        out.display(),
        public.display()
    );
    Ok(())
}
