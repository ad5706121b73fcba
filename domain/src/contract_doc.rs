//! Checks that keep the repository's docs honest, run with the domain's
//! unit tests because they are cheap and need nothing but the files.
//!
//! - `docs/domain.md` names every command and event of every aggregate, so
//!   a command or event added without a word in the contract fails here.
//!   The variant names come from serde itself: deserialising an unknown
//!   variant answers with the list of every known one.
//! - Every relative link in the Markdown files, and every path in backticks
//!   that starts at a top-level folder of the repository (in Markdown, Rust,
//!   TOML, SQL and shell files), names a file or folder the repository
//!   holds; every in-page anchor names a heading of its page.
//! - No file cites documents the repository does not hold (the briefing's
//!   domain, design and house-style notes).
//! - The ADRs in `docs/adr/` are numbered 1, 2, 3, … without gaps, and each
//!   file's title carries its number.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::escrow::{EscrowCommand, EscrowEvent};
use crate::inventory::{InventoryReservationCommand, InventoryReservationEvent};
use crate::order::{OrderCommand, OrderEvent};
use crate::payment_split::{PaymentSplitCommand, PaymentSplitEvent};

/// Folders never scanned: build output, local state, version control.
const SKIPPED: &[&str] = &["target", ".git", ".local", ".bazaar"];

/// Names of documents outside the repository that files used to cite.
const OUTSIDE: &[&str] = &["DOMAIN", "DESIGN", "HOUSE-STYLE"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root above domain/")
        .to_path_buf()
}

/// Every variant name of an externally tagged enum, as serde knows them.
fn variants<T: DeserializeOwned>() -> Vec<String> {
    let error = match serde_json::from_str::<T>("\"-no-such-variant-\"") {
        Ok(_) => panic!("a variant named -no-such-variant- exists"),
        Err(error) => error.to_string(),
    };
    let (_, expected) = error
        .split_once("expected")
        .unwrap_or_else(|| panic!("serde listed no variants: {error}"));
    let names: Vec<String> = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    assert!(!names.is_empty(), "no variants in: {error}");
    names
}

#[test]
fn the_domain_doc_names_every_command_and_event() {
    let doc = fs::read_to_string(root().join("docs/domain.md")).expect("docs/domain.md");
    let names = [
        variants::<OrderCommand>(),
        variants::<OrderEvent>(),
        variants::<PaymentSplitCommand>(),
        variants::<PaymentSplitEvent>(),
        variants::<InventoryReservationCommand>(),
        variants::<InventoryReservationEvent>(),
        variants::<EscrowCommand>(),
        variants::<EscrowEvent>(),
    ];
    assert!(names.iter().all(|list| list.len() >= 6), "{names:?}");
    let missing: Vec<&String> = names
        .iter()
        .flatten()
        .filter(|name| !doc.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/domain.md does not name {missing:?}"
    );
}

/// Files under `dir` (not in [`SKIPPED`]) whose name ends in one of `ends`.
fn files(dir: &Path, ends: &[&str], found: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !SKIPPED.contains(&name) {
                files(&path, ends, found);
            }
        } else if ends.iter().any(|end| name.ends_with(end)) {
            found.push(path);
        }
    }
}

/// The targets of `[text](target)` links.
fn links(markdown: &str) -> Vec<&str> {
    markdown
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(target, _)| target))
        .filter(|target| !target.contains(char::is_whitespace))
        .collect()
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces
/// as dashes.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(markdown: &str) -> BTreeSet<String> {
    markdown
        .lines()
        .filter(|line| line.starts_with('#'))
        .map(|line| slug(line.trim_start_matches('#')))
        .collect()
}

/// Problems with the links of one Markdown file (`name`, in `here`).
fn check_links(here: &Path, name: &str, markdown: &str, problems: &mut Vec<String>) {
    for target in links(markdown) {
        if target.starts_with("http://") || target.starts_with("https://") {
            continue;
        }
        let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
        if path.is_empty() {
            if !anchors(markdown).contains(anchor) {
                problems.push(format!("{name}: no heading for #{anchor}"));
            }
        } else if !here.join(path).exists() {
            problems.push(format!("{name}: link to missing {path}"));
        }
    }
}

/// Paths in backticks that start at a top-level folder of the repository.
fn repository_paths<'a>(text: &'a str, folders: &BTreeSet<String>) -> Vec<&'a str> {
    let path_like = |token: &&str| {
        token.contains('/')
            && token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
    };
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(path_like)
        .filter(|token| {
            let first = token.split('/').next().unwrap_or("");
            folders.contains(first)
        })
        .collect()
}

#[test]
fn every_path_and_link_in_the_docs_and_code_names_a_file_of_the_repository() {
    let root = root();
    let folders: BTreeSet<String> = fs::read_dir(&root)
        .expect("the workspace root")
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_dir())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| !SKIPPED.contains(&name.as_str()))
        .collect();
    let mut found = Vec::new();
    files(&root, &[".md", ".rs", ".toml", ".sql", ".sh"], &mut found);
    assert!(found.len() > 50, "scanned only {found:?}");
    let mut problems = Vec::new();
    for file in &found {
        let text = fs::read_to_string(file).unwrap_or_default();
        let name = file
            .strip_prefix(&root)
            .unwrap_or(file)
            .display()
            .to_string();
        if file.extension().is_some_and(|ext| ext == "md") {
            let here = file.parent().expect("a file has a folder");
            check_links(here, &name, &text, &mut problems);
        }
        for path in repository_paths(&text, &folders) {
            if !root.join(path).exists() {
                problems.push(format!("{name}: `{path}` does not exist"));
            }
        }
        for outside in OUTSIDE {
            if text.contains(&format!("{outside}.md")) {
                problems.push(format!(
                    "{name} cites {outside}.md, which is not in the repository"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "broken references:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_adrs_are_numbered_without_gaps() {
    let mut adrs = Vec::new();
    files(&root().join("docs/adr"), &[".md"], &mut adrs);
    let mut numbered: Vec<(u32, PathBuf)> = adrs
        .into_iter()
        .map(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let number = name.get(..4).and_then(|n| n.parse().ok());
            (
                number.unwrap_or_else(|| panic!("{name} has no number")),
                path,
            )
        })
        .collect();
    numbered.sort();
    for (expected, (number, path)) in (1..).zip(&numbered) {
        assert_eq!(
            *number,
            expected,
            "ADR numbering skips to {}",
            path.display()
        );
        let text = fs::read_to_string(path).expect("an ADR");
        assert!(
            text.starts_with(&format!("# {number}. ")),
            "{} must open with `# {number}. `",
            path.display()
        );
    }
}
