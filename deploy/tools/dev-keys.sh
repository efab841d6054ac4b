#!/usr/bin/env bash
# The development JWT signing key for the Kubernetes dev overlay: var/keys/jwt-signing.pem
# (the same file scripts/dev_keys.py makes for native runs) and its copy that the overlay's
# identity-jwt Secret is generated from. (docker-compose.yml makes its own, in a volume, with
# its keys one-shot.) Development only; idempotent.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/../.."
key=var/keys/jwt-signing.pem
if [ ! -s "$key" ]; then
  mkdir -p "$(dirname "$key")"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$key" 2>/dev/null
  echo "[dev-keys] generated $key" >&2
fi
mkdir -p deploy/k8s/overlays/dev/secrets
cmp -s "$key" deploy/k8s/overlays/dev/secrets/jwt-signing.pem || cp "$key" deploy/k8s/overlays/dev/secrets/jwt-signing.pem
