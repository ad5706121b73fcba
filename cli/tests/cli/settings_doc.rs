//! Every setting of the `bazaar` command line is in the README's
//! configuration table, with its flag and its default: a setting added
//! without documentation fails here.

use std::collections::BTreeMap;

use bazaar_cli::Cli;
use clap::{Command, CommandFactory};

/// A setting as clap knows it.
#[derive(Debug)]
struct Setting {
    flag: String,
    default: Option<String>,
}

/// A row of the README table: flag and default cells.
#[derive(Debug)]
struct Row {
    flag: String,
    default: String,
}

#[test]
fn every_setting_is_in_the_readme_with_its_flag_and_default() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md at the workspace root");
    let rows = configuration_table(&readme);
    let mut settings = BTreeMap::new();
    collect(&Cli::command(), &mut settings);
    assert!(settings.len() >= 10, "settings found: {settings:?}");

    let mut problems = Vec::new();
    for (variable, setting) in &settings {
        let Some(row) = rows.get(variable) else {
            problems.push(format!("{variable} ({}) has no row", setting.flag));
            continue;
        };
        if row.flag != format!("`{}`", setting.flag) {
            problems.push(format!(
                "{variable}: flag cell {} but the flag is {}",
                row.flag, setting.flag
            ));
        }
        match &setting.default {
            Some(default) if !row.default.contains(&format!("`{default}`")) => problems.push(
                format!("{variable}: default cell {} does not show `{default}`", row.default),
            ),
            None if !row.default.starts_with('(') => problems.push(format!(
                "{variable} has no default: its cell should say what unset means, in parentheses, not {}",
                row.default
            )),
            _ => {}
        }
    }
    assert!(
        problems.is_empty(),
        "README configuration table:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_table_parser_reads_rows_and_nothing_else() {
    let text = "# x\n\n## Configuration\n\n| variable | flag | default | meaning |\n| --- | --- | --- | --- |\n\
                | `A_B` | `--a-b` | `1` | one |\n| `C` | | (unset) | c |\n\n## Next\n\n| `D` | `--d` | `2` | d |\n";

    let rows = configuration_table(text);

    assert_eq!(rows.keys().collect::<Vec<_>>(), ["A_B", "C"]);
    assert_eq!(rows["A_B"].flag, "`--a-b`");
    assert_eq!(rows["A_B"].default, "`1`");
    assert_eq!(rows["C"].default, "(unset)");
}

/// Every argument with an environment variable, in `command` and its
/// subcommands, by variable.
fn collect(command: &Command, settings: &mut BTreeMap<String, Setting>) {
    for arg in command.get_arguments() {
        let Some(env) = arg.get_env() else { continue };
        let default = arg
            .get_default_values()
            .iter()
            .map(|value| value.to_string_lossy().into_owned())
            .reduce(|a, b| format!("{a},{b}"));
        let flag = format!("--{}", arg.get_long().expect("settings have a long flag"));
        settings.insert(
            env.to_string_lossy().into_owned(),
            Setting { flag, default },
        );
    }
    for sub in command.get_subcommands() {
        collect(sub, settings);
    }
}

/// The rows of the table under `## Configuration`, by variable.
fn configuration_table(readme: &str) -> BTreeMap<String, Row> {
    let section = readme
        .split("\n## ")
        .find(|section| section.starts_with("Configuration"))
        .expect("a `## Configuration` section");
    section
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .trim()
                .strip_prefix('|')?
                .split('|')
                .map(str::trim)
                .collect();
            let variable = cells.first()?.strip_prefix('`')?.strip_suffix('`')?;
            Some((
                variable.to_owned(),
                Row {
                    flag: (*cells.get(1)?).to_owned(),
                    default: (*cells.get(2)?).to_owned(),
                },
            ))
        })
        .collect()
}
