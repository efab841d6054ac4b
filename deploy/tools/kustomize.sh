#!/usr/bin/env bash
# Render a kustomization to stdout: `make k8s-render`. Renders only: it installs no validation
# tool and writes nothing outside the repository.
#
#   deploy/tools/kustomize.sh deploy/k8s/overlays/dev
#
# The first of: the machine's kubectl (`kubectl kustomize`) or kustomize (`kustomize build`),
# when it has kustomize v5 (components, labels, replacements); the kubectl under var/tools that
# the deploy validation installed; else that kubectl alone, installed into var/tools now.
set -o errexit -o nounset -o pipefail
dir=${1:?usage: deploy/tools/kustomize.sh <kustomization directory>}
root=$(cd "$(dirname "$0")/../.." && pwd)
kustomize_v5() { "$@" 2>/dev/null | grep -Eq '(Kustomize Version: |^)v5\.'; }

if command -v kubectl >/dev/null 2>&1 && kustomize_v5 kubectl version --client; then
  exec kubectl kustomize "$dir"
fi
if command -v kustomize >/dev/null 2>&1 && kustomize_v5 kustomize version; then
  exec kustomize build "$dir"
fi
tools=$root/var/tools/bin
if ! { [ -x "$tools/kubectl" ] && kustomize_v5 "$tools/kubectl" version --client; }; then
  tools=$("$root/deploy/tools/install.sh" kubectl)
fi
exec "$tools/kubectl" kustomize "$dir"
