#!/usr/bin/env bash
# The server image's base where Docker Hub cannot be reached: a Debian bookworm root
# filesystem (debootstrap --variant=minbase, from Debian's own packages) with python3
# (3.11, as requirements.lock is resolved for) and python3-venv, `docker import`ed as
# $LOYALTY_BASE_IMAGE (default loyalty-base:bookworm). Build the server on it with
#   packaging/server/build-image.sh   (BASE_IMAGE=loyalty-base:bookworm, its default here)
#
# Idempotent: an existing image is kept (--force makes it again). Bounded: debootstrap
# gets $LOYALTY_DEBOOTSTRAP_TIMEOUT seconds (default 900). Needs root and a running
# Docker daemon; installs debootstrap when missing.
set -euo pipefail
IMAGE="${LOYALTY_BASE_IMAGE:-loyalty-base:bookworm}"
MIRROR="${LOYALTY_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
TIMEOUT="${LOYALTY_DEBOOTSTRAP_TIMEOUT:-900}"
PACKAGES="python3,python3-venv,ca-certificates"
say() { echo "[base-image] $*" >&2; }

if [ "${1:-}" != "--force" ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  say "$IMAGE already there"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || {
  say "debootstrap needs root"
  exit 1
}
if ! command -v debootstrap >/dev/null; then
  say "installing debootstrap"
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >&2
fi

work=$(mktemp -d /var/tmp/loyalty-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
started=$SECONDS
say "debootstrap bookworm ($PACKAGES) into $work"
timeout "$TIMEOUT" debootstrap --variant=minbase --include="$PACKAGES" bookworm \
  "$work/root" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
  tail -20 "$work/debootstrap.log" >&2
  say "debootstrap failed (or passed ${TIMEOUT}s)"
  exit 1
}
debootstrapped=$SECONDS
# What a container does not need: the downloaded packages, the package lists, docs.
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"* \
  "$work/root/usr/share/doc/"* "$work/root/usr/share/man/"* "$work/root/usr/share/info/"*
chroot "$work/root" python3 -c 'import ensurepip, venv' # python3 and python3-venv are in
tar -C "$work/root" --numeric-owner -c . |
  docker import --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' \
    --message "debootstrap --variant=minbase bookworm + $PACKAGES" - "$IMAGE" >/dev/null
say "$IMAGE: debootstrap $((debootstrapped - started)) s, import $((SECONDS - debootstrapped)) s," \
  "$(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1 / 1e6}')"
