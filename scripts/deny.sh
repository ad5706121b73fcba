#!/usr/bin/env bash
# `cargo deny check` over the workspace (rules and the reason for every
# exception: deny.toml). scripts/test.sh calls it.
#
# - licenses, bans, sources: always; they need only the crates' metadata
#   from crates.io, and any finding fails the run.
# - advisories: need the RustSec advisory database, a git repository on
#   GitHub. It is fetched when GitHub answers; otherwise a copy already on
#   this machine (under $CARGO_HOME/advisory-dbs) is used without fetching;
#   with neither, the advisories check is SKIPPED with a message saying so,
#   so a CI machine that reaches only the package registries does not fail
#   for a network reason. Findings in a database that was read fail the run.
#
# cargo-deny itself is installed once per machine (pinned, from crates.io,
# into ~/.cargo/bin; a build of a few minutes) when missing or another
# version.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT"

DENY_VERSION=0.20.2
CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}
deny="$CARGO_HOME/bin/cargo-deny"

say() { echo "deny.sh: $*" >&2; }

if ! [ -x "$deny" ] || [ "$("$deny" --version)" != "cargo-deny $DENY_VERSION" ]; then
    say "installing cargo-deny $DENY_VERSION (once per machine)"
    cargo install --locked "cargo-deny@$DENY_VERSION"
fi

"$deny" --locked check licenses bans sources

has_db() { compgen -G "$CARGO_HOME/advisory-dbs/*/.git" >/dev/null; }
if timeout 120 "$deny" fetch db >/dev/null 2>&1; then
    "$deny" --locked check --disable-fetch advisories
elif has_db; then
    say "advisories: the RustSec database cannot be fetched; checking against the copy on this machine"
    "$deny" --locked check --disable-fetch advisories
else
    say "advisories: SKIPPED: the RustSec database (GitHub) cannot be fetched and no copy is on this machine"
fi
