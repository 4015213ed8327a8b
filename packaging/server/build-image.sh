#!/usr/bin/env bash
# Build the server image here: Docker from Debian's docker.io, the base from
# make-base-image.sh (no Docker Hub), BuildKit with host networking (the package
# registries answer a container only so) and the host's CA bundle as a build secret.
#
#   packaging/server/build-image.sh [--if-missing] [--lock FILE] [--tag TAG] [--print-tag]
#
#   --if-missing  do nothing when TAG exists (./bin/topology up --containers)
#   --lock FILE   the lock installed (default requirements-server.lock; the till's
#                 requirements.lock gives the image as it was, to compare sizes)
#   --tag TAG     default loyalty-server:<hash of what the image is made of>, so an
#                 edited server is built again, an unchanged one not; also tagged
#                 loyalty-server:local
#   --print-tag   print the default tag and stop
#
# Its standard output is one line: the tag built or found (the checkout may change
# while it builds: the tag is taken from the files as they were when it started).
#
# Starts dockerd when none answers, writing its pid to $LOYALTY_DOCKERD_PIDFILE
# (default /var/run/loyalty-dockerd.pid): whoever asked for the image stops it.
# BASE_IMAGE=python:3.11-slim (or any) skips make-base-image.sh where Hub is reachable.
# Prints the seconds each step took and the image's size.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/packaging/server"
TAG=""
BASE_IMAGE="${BASE_IMAGE:-${LOYALTY_BASE_IMAGE:-loyalty-base:bookworm}}"
LOCK=requirements-server.lock
CA_BUNDLE="${LOYALTY_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
PIDFILE="${LOYALTY_DOCKERD_PIDFILE:-/var/run/loyalty-dockerd.pid}"
TIMEOUT="${LOYALTY_IMAGE_BUILD_TIMEOUT:-1200}"
if_missing=0
print_tag=0
say() { echo "[build-image] $*" >&2; }
die() {
  say "error: $*"
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
  --if-missing) if_missing=1 ;;
  --lock) LOCK=$2 && shift ;;
  --tag) TAG=$2 && shift ;;
  --print-tag) print_tag=1 ;;
  *) die "unknown option $1" ;;
  esac
  shift
done

# The files the image is made of (Dockerfile.dockerignore lets in no others), hashed.
content_tag() {
  (
    cd "$ROOT"
    find common sync_server -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 |
      sort -z | xargs -0 sha256sum
    sha256sum packaging/server/Dockerfile packaging/server/Dockerfile.dockerignore \
      pyproject.toml README.md "$LOCK"
    echo "$BASE_IMAGE $LOCK"
  ) | sha256sum | cut -c1-12 | sed 's/^/loyalty-server:/'
}

install_docker() {
  command -v dockerd >/dev/null && [ -x /usr/bin/docker ] && return 0
  say "installing docker.io"
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io >&2
}

# dockerd as a plain process when none answers (no systemd on these machines).
ensure_dockerd() {
  docker info >/dev/null 2>&1 && return 0
  say "starting dockerd (pid in $PIDFILE, log /var/log/loyalty-dockerd.log)"
  setsid dockerd >>/var/log/loyalty-dockerd.log 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  local until=$((SECONDS + 60))
  until docker info >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$until" ] || die "dockerd not answering after 60 s"
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || die "dockerd exited: see /var/log/loyalty-dockerd.log"
    sleep 0.5
  done
}

# A client whose `build` speaks BuildKit (for --secret): docker with buildx, or
# Debian's 20.10 client, whose BuildKit is built in.
buildkit_client() {
  local client
  for client in docker /usr/bin/docker; do
    if command -v "$client" >/dev/null &&
      DOCKER_BUILDKIT=1 "$client" build --help 2>/dev/null | grep -q -- --secret; then
      echo "$client"
      return 0
    fi
  done
  return 1
}

default_tag=0
[ -n "$TAG" ] || { TAG=$(content_tag) && default_tag=1; }
if [ "$print_tag" = 1 ]; then
  echo "$TAG"
  exit 0
fi
install_docker
ensure_dockerd
if [ "$if_missing" = 1 ] && docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "$TAG"
  exit 0
fi
[ -f "$ROOT/$LOCK" ] || die "no $LOCK in $ROOT"
started=$SECONDS
if [ "$BASE_IMAGE" = "${LOYALTY_BASE_IMAGE:-loyalty-base:bookworm}" ]; then
  LOYALTY_BASE_IMAGE="$BASE_IMAGE" "$HERE/make-base-image.sh" >&2
fi
based=$SECONDS
client=$(buildkit_client) || die "no docker client with BuildKit (install docker.io)"
secret=()
[ ! -s "$CA_BUNDLE" ] || secret=(--secret "id=ca_bundle,src=$CA_BUNDLE")
say "building $TAG on $BASE_IMAGE with $LOCK"
DOCKER_BUILDKIT=1 timeout "$TIMEOUT" "$client" build --network host --progress plain \
  "${secret[@]}" --build-arg BASE_IMAGE="$BASE_IMAGE" --build-arg LOCK="$LOCK" \
  -f "$HERE/Dockerfile" -t "$TAG" "$ROOT" >"/var/tmp/loyalty-image-build.log" 2>&1 || {
  tail -30 /var/tmp/loyalty-image-build.log >&2
  die "docker build failed (log /var/tmp/loyalty-image-build.log)"
}
if [ "$default_tag" = 1 ]; then
  docker tag "$TAG" loyalty-server:local
  # Older builds of edited code: each a tag; those no container uses go (rmi refuses
  # the others), so the images of a working checkout do not pile up.
  docker images --format '{{.Repository}}:{{.Tag}}' loyalty-server |
    grep -E '^loyalty-server:[0-9a-f]{12}$' | grep -vxF "$TAG" |
    xargs -r docker rmi >/dev/null 2>&1 || true
fi
say "$TAG: base $((based - started)) s, build $((SECONDS - based)) s," \
  "$(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1 / 1e6}')"
echo "$TAG"
