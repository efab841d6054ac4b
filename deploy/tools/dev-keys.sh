#!/usr/bin/env bash
# The development JWT signing key for containers: var/keys/jwt-signing.pem (the same file
# scripts/dev_keys.py makes for native runs), readable by the containers' user, and its copy
# for the Kubernetes dev overlay's identity-jwt Secret. Development only; idempotent.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/../.."
key=var/keys/jwt-signing.pem
if [ ! -s "$key" ]; then
  mkdir -p "$(dirname "$key")"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$key" 2>/dev/null
  echo "[dev-keys] generated $key" >&2
fi
# The compose containers run as uid 10001 and read it through a bind mount.
chmod 0644 "$key"
mkdir -p deploy/k8s/overlays/dev/secrets
cmp -s "$key" deploy/k8s/overlays/dev/secrets/jwt-signing.pem || cp "$key" deploy/k8s/overlays/dev/secrets/jwt-signing.pem
