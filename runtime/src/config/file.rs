//! The configuration file: `--config FILE` or `BAZAAR_CONFIG=FILE`.
//!
//! Why an env-file and not TOML or YAML: its keys are the environment
//! variables of the README's configuration table, so one name per setting
//! works in a shell, a container's environment, a Kubernetes ConfigMap and
//! this file, and the file can be shared with `docker --env-file` or a
//! systemd `EnvironmentFile`. No new dependency either.
//!
//! Format: one `NAME=value` per line; blank lines and lines starting with
//! `#` are skipped; an optional `export ` before the name is allowed; a
//! value wrapped in matching single or double quotes loses them (nothing
//! else is unescaped, `#` inside a value is kept). An empty value counts
//! as absent: the built-in default applies.
//!
//! Precedence: flag > environment variable > file > built-in default. The
//! file's values become the defaults of the clap arguments, and clap
//! itself prefers a flag, then the environment, then the default. A name
//! that is no setting, a name given twice, or a line that is not
//! `NAME=value` fails start-up with the file and line: a typo must not
//! silently leave a setting at its default.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{Command, Parser};

/// The environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "BAZAAR_CONFIG";

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not a setting.
    #[error("{path}:{line}: {reason}")]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// Flags, environment or file values that clap refused, or `--help`.
    #[error(transparent)]
    Cli(#[from] clap::Error),
}

/// One setting read from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The value, quotes removed.
    pub value: String,
    /// Its 1-based line number, for errors.
    pub line: usize,
}

/// Parses `P` from the process's arguments and environment, with the
/// configuration file named by `--config` or `BAZAAR_CONFIG` as defaults.
/// Help, version and argument errors end the process as clap does.
pub fn parse<P: Parser>() -> Result<P, Error> {
    let args: Vec<OsString> = std::env::args_os().collect();
    let from_env = std::env::var_os(CONFIG_ENV);
    match parse_from(args, from_env) {
        Err(Error::Cli(error)) => error.exit(),
        parsed => parsed,
    }
}

/// [`parse`] over explicit arguments and `BAZAAR_CONFIG` value; other
/// environment variables are still read by clap from the process.
pub fn parse_from<P: Parser>(args: Vec<OsString>, from_env: Option<OsString>) -> Result<P, Error> {
    let mut command = P::command();
    if let Some(path) = config_path(&args, from_env) {
        let entries = read(&path)?;
        command = with_defaults(command, &path, entries)?;
    }
    let matches = command.try_get_matches_from(args)?;
    Ok(P::from_arg_matches(&matches)?)
}

/// The file named by `--config FILE`, `--config=FILE` or, failing that, by
/// the environment; an empty name counts as none.
fn config_path(args: &[OsString], from_env: Option<OsString>) -> Option<PathBuf> {
    let mut args = args.iter().skip(1);
    let mut named = None;
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        if text == "--" {
            break;
        } else if text == "--config" {
            named = args.next().cloned();
        } else if let Some(path) = text.strip_prefix("--config=") {
            named = Some(OsString::from(path));
        }
    }
    named
        .or(from_env)
        .filter(|path| !path.is_empty())
        .map(PathBuf::from)
}

/// Reads and parses the file at `path`.
pub fn read(path: &Path) -> Result<BTreeMap<String, Entry>, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_text(&text).map_err(|(line, reason)| Error::Line {
        path: path.to_owned(),
        line,
        reason,
    })
}

/// The settings in `text`, or the first bad line and why it is bad.
pub fn parse_text(text: &str) -> Result<BTreeMap<String, Entry>, (usize, String)> {
    let mut entries = BTreeMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (name, value) = split_line(trimmed).map_err(|reason| (line, reason))?;
        if let Some(first) = entries.insert(name.to_owned(), Entry { value, line }) {
            return Err((
                line,
                format!("{name} is already set on line {}", first.line),
            ));
        }
    }
    entries.retain(|_, entry| !entry.value.is_empty());
    Ok(entries)
}

fn split_line(line: &str) -> Result<(&str, String), String> {
    let line = line.strip_prefix("export ").unwrap_or(line);
    let Some((name, value)) = line.split_once('=') else {
        return Err(format!("expected NAME=value, found `{line}`"));
    };
    let name = name.trim();
    let valid = name.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(format!(
            "`{name}` is not a setting name (upper-case letters, digits and _)"
        ));
    }
    Ok((name, unquote(value.trim()).to_owned()))
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

/// `command` with every argument whose environment variable the file sets
/// defaulting to the file's value; a name no argument reads is an error.
pub fn with_defaults(
    command: Command,
    path: &Path,
    entries: BTreeMap<String, Entry>,
) -> Result<Command, Error> {
    if let Some(entry) = entries.get(CONFIG_ENV) {
        return Err(line_error(
            path,
            entry,
            format!("{CONFIG_ENV} cannot be set in the configuration file"),
        ));
    }
    let mut used = BTreeSet::new();
    let command = apply(command, &entries, &mut used);
    match entries.iter().find(|(name, _)| !used.contains(*name)) {
        None => Ok(command),
        Some((name, entry)) => Err(line_error(
            path,
            entry,
            format!(
                "{name} is not a setting of bazaar \
                 (see the configuration table of the README or `bazaar --help`)"
            ),
        )),
    }
}

fn line_error(path: &Path, entry: &Entry, reason: String) -> Error {
    Error::Line {
        path: path.to_owned(),
        line: entry.line,
        reason,
    }
}

/// Sets defaults on `command` and its subcommands (an argument such as
/// `--http-addr` may belong to several), noting the names used.
fn apply(
    mut command: Command,
    entries: &BTreeMap<String, Entry>,
    used: &mut BTreeSet<String>,
) -> Command {
    let targets: Vec<_> = command
        .get_arguments()
        .filter_map(|arg| {
            let name = arg.get_env()?.to_string_lossy().into_owned();
            Some((arg.get_id().clone(), name))
        })
        .collect();
    for (id, name) in targets {
        if let Some(entry) = entries.get(&name) {
            // read once per process; clap keeps defaults as `'static` strings.
            // Hidden from `--help`: the file may hold secrets.
            let value: &'static str = entry.value.clone().leak();
            command = command.mut_arg(id, |arg| arg.default_value(value).hide_default_value(true));
            used.insert(name);
        }
    }
    let subcommands: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    for name in subcommands {
        command = command.mut_subcommand(name, |sub| apply(sub, entries, used));
    }
    command
}

#[cfg(test)]
mod tests;
