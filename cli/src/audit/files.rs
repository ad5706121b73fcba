//! Files the audit commands write and read: exports, keys, checkpoints.
//!
//! Nothing is left half-written: an export or checkpoint goes to
//! `FILE.partial` and is renamed to `FILE` only once complete; a key file
//! is created only if it does not exist yet, readable by its owner alone.

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use bazaar_event_store::audit::{export_ndjson, verify_export as check_export, ExportSelection};
use futures::TryStreamExt;
use sqlx::PgPool;

use super::print;

/// `bazaar audit export`: streams the export to `out` or stdout.
pub(super) async fn export(
    pool: &PgPool,
    selection: ExportSelection,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    let mut chunks = std::pin::pin!(export_ndjson(pool.clone(), selection));
    let mut lines = 0usize;
    let write = |sink: &mut dyn Write, chunk: &str| -> std::io::Result<()> {
        sink.write_all(chunk.as_bytes())
    };
    match out {
        Some(path) => {
            let partial = partial(path);
            let mut file = BufWriter::new(File::create(&partial).context("creating the export")?);
            while let Some(chunk) = chunks.try_next().await? {
                lines += chunk.matches('\n').count();
                write(&mut file, &chunk)?;
            }
            file.into_inner()?.sync_all()?;
            fs::rename(&partial, path).context("moving the export in place")?;
        }
        None => {
            let mut stdout = BufWriter::new(std::io::stdout());
            while let Some(chunk) = chunks.try_next().await? {
                lines += chunk.matches('\n').count();
                write(&mut stdout, &chunk)?;
            }
            stdout.flush()?;
        }
    }
    eprintln!("exported {lines} events");
    Ok(())
}

/// `bazaar audit verify-export FILE`.
pub(super) fn verify_export(file: &Path) -> anyhow::Result<()> {
    let reader =
        BufReader::new(File::open(file).with_context(|| format!("opening {}", file.display()))?);
    let check = check_export(reader)?;
    print::json(&check)?;
    match &check.problem {
        Some(problem) => anyhow::bail!("export does not verify: {problem}"),
        None => Ok(()),
    }
}

/// Writes `text` to a new file readable by its owner only; refuses to
/// replace an existing file.
pub(super) fn write_secret(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

/// Writes `text` to a new file; refuses to replace an existing file.
pub(super) fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

/// Writes `text` to `path` through `path.partial`, or to stdout.
pub(super) fn write_whole(path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    let Some(path) = path else {
        println!("{text}");
        return Ok(());
    };
    let partial = partial(path);
    let mut file =
        File::create(&partial).with_context(|| format!("creating {}", partial.display()))?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    fs::rename(&partial, path).with_context(|| format!("moving {} in place", path.display()))
}

/// Reads a whole text file, naming it on failure.
pub(super) fn read(path: &Path) -> anyhow::Result<String> {
    fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn partial(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}
