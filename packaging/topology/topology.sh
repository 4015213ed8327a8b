#!/usr/bin/env bash
# The local production topology (docs/deploy.md, "The tested topology"):
#   etcd (3 members) <-  Patroni x2  ->  PostgreSQL primary + synchronous standby
#   HAProxy :PG      ->  whichever node Patroni's REST API calls /primary
#   loyalty-server serve x2  (DATABASE_URL = HAProxy's PostgreSQL port); with
#   --containers each runs in a container of the server image (packaging/server/
#   build-image.sh builds it when missing), host networking, stopped by `docker stop`
#   HAProxy :HTTP    ->  the instances answering 200 on /health/ready
#   with --pgbouncer: PgBouncer :PGB (transaction pooling) -> HAProxy :PG, and the
#   instances' DATABASE_URL is PgBouncer; their live feed (LISTEN_DATABASE_URL) stays
#   on HAProxy :PG, since a LISTEN needs a session
# Everything on 127.0.0.1, under $LOYALTY_TOPOLOGY_DIR (default
# /var/tmp/loyalty-topology), ports from $LOYALTY_TOPOLOGY_PORT_BASE (default 25000).
#
#   topology.sh up [--pgbouncer] [--containers]   install what is missing, start
#                        everything, migrate once; a topology running PgBouncer or
#                        containers keeps them on a later `up`
#   topology.sh status   etcd members' health, primary, standby, sync state,
#                        instances' readiness
#   topology.sh down     stop everything; fails if a process or container of it is
#                        left (the PgBouncer and containers choices go with it)
#   topology.sh env      the ports and paths, KEY=VALUE (read by bench/failover.py)
#   topology.sh rolling-restart   restart the server instances one by one, each drained
#                        in HAProxy first, so no till request fails
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/packaging/topology"
DIR="${LOYALTY_TOPOLOGY_DIR:-/var/tmp/loyalty-topology}"
BASE="${LOYALTY_TOPOLOGY_PORT_BASE:-25000}"
APPS="${LOYALTY_TOPOLOGY_INSTANCES:-2}"
WORKERS="${LOYALTY_TOPOLOGY_WORKERS:-2}"
DB="loyalty"
PG_MAJOR="${LOYALTY_TOPOLOGY_PG_MAJOR:-15}"
# Three etcd members (a quorum survives one lost): client ports 379, 381, 383 and
# peer ports 380, 382, 384 above BASE.
ETCD_MEMBERS=(etcd1 etcd2 etcd3)
etcd_port() { echo $((BASE + 379 + 2 * (${1#etcd} - 1))); }
etcd_peer_port() { echo $((BASE + 380 + 2 * (${1#etcd} - 1))); }
ETCD_PORT=$(etcd_port etcd1)
ETCD_HOSTS=$(for m in "${ETCD_MEMBERS[@]}"; do printf '127.0.0.1:%s,' "$(etcd_port "$m")"; done)
ETCD_HOSTS=${ETCD_HOSTS%,}
ETCD_CLUSTER=$(for m in "${ETCD_MEMBERS[@]}"; do printf '%s=http://127.0.0.1:%s,' "$m" "$(etcd_peer_port "$m")"; done)
ETCD_CLUSTER=${ETCD_CLUSTER%,}
HA_PG_PORT=$((BASE + 500))
HA_HTTP_PORT=$((BASE + 80))
HA_STATS_PORT=$((BASE + 404))
PGBOUNCER_PORT=$((BASE + 600))
PGBOUNCER_POOL="${LOYALTY_TOPOLOGY_PGBOUNCER_POOL:-10}"
NODES=(pg1 pg2)
pg_port() { echo $((BASE + 432 + ${1#pg} - 1)); }
rest_port() { echo $((BASE + 8 + ${1#pg} - 1)); }
app_port() { echo $((BASE + 80 + $1)); }
RUN="$DIR/run"
LOG="$DIR/log"
VENV="$ROOT/.venv/bin"
PG_URL="postgresql+psycopg://postgres@127.0.0.1:$HA_PG_PORT/$DB"
# psycopg prepares a statement after 5 runs; PgBouncer 1.18 in transaction mode cannot
# follow it to the next server connection (sync_server/db.py).
PGBOUNCER_URL="postgresql+psycopg://postgres@127.0.0.1:$PGBOUNCER_PORT/$DB?prepare_threshold=none"
# The feed's links are named, so pg_stat_activity tells them from the pooled ones.
LISTEN_URL="$PG_URL?application_name=loyalty-feed"
# --containers: the server image, its tag a hash of what it is made of.
BUILD_IMAGE="$ROOT/packaging/server/build-image.sh"

say() { echo "[topology] $*" >&2; }
die() {
  say "error: $*"
  exit 1
}

# Bounded wait: `wait_for SECONDS WHAT command...` polls every 0.5 s.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local until=$((SECONDS + seconds))
  while [ "$SECONDS" -lt "$until" ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "$what: not after ${seconds}s (logs in $LOG)"
}

install_missing() {
  local missing=()
  command -v patroni >/dev/null || missing+=(patroni)
  command -v etcd >/dev/null || missing+=(etcd-server)
  command -v etcdctl >/dev/null || missing+=(etcd-client)
  command -v haproxy >/dev/null || missing+=(haproxy)
  command -v curl >/dev/null || missing+=(curl)
  command -v jq >/dev/null || missing+=(jq) # status reads Patroni's JSON
  [ "$1" = 0 ] || command -v pgbouncer >/dev/null || missing+=(pgbouncer)
  [ -x "/usr/lib/postgresql/$PG_MAJOR/bin/postgres" ] || missing+=("postgresql-$PG_MAJOR")
  command -v psql >/dev/null || missing+=("postgresql-client-$PG_MAJOR")
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  [ -x "$VENV/loyalty-server" ] || "$ROOT/bin/setup"
}

render() { # render TEMPLATE OUT KEY=VALUE...
  local template=$1 out=$2
  shift 2
  local script=()
  for pair in "$@"; do script+=(-e "s|@${pair%%=*}@|${pair#*=}|g"); done
  sed "${script[@]}" "$template" >"$out"
}

# start NAME USER command...: its own session, output to $LOG/NAME.log, pid in $RUN.
start() {
  local name=$1 user=$2
  shift 2
  if running "$name"; then
    say "$name already running (pid $(cat "$RUN/$name.pid"))"
    return
  fi
  # The mark in its environment finds it (and what it spawns) again in `down`.
  if [ "$user" = root ]; then
    setsid env LOYALTY_TOPOLOGY_MARK="$DIR" "$@" >>"$LOG/$name.log" 2>&1 </dev/null &
  else
    setsid runuser -u "$user" -- env LOYALTY_TOPOLOGY_MARK="$DIR" "$@" \
      >>"$LOG/$name.log" 2>&1 </dev/null &
  fi
  echo $! >"$RUN/$name.pid"
}

running() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

rest() { curl -fsS --max-time 2 "http://127.0.0.1:$(rest_port "$1")$2"; }
is_primary() { rest "$1" /primary; }
is_sync_standby() { rest "$1" /sync; }
leader() {
  local n
  for n in "${NODES[@]}"; do is_primary "$n" >/dev/null 2>&1 && echo "$n" && return 0; done
  return 1
}
ready_behind_balancer() { curl -fsS --max-time 2 "http://127.0.0.1:$HA_HTTP_PORT/health/ready"; }
instance_ready() { curl -fsS --max-time 2 "http://127.0.0.1:$(app_port "$1")/health/ready"; }
psql_primary() { psql -X -q -At -h 127.0.0.1 -p "$HA_PG_PORT" -U postgres "$@"; }

# Whether the server instances go through PgBouncer: asked for, or already so.
pooled() { [ -f "$RUN/pgbouncer.pid" ]; }
server_database_url() { if pooled; then echo "$PGBOUNCER_URL"; else echo "$PG_URL"; fi; }

up() {
  local pgbouncer=0 containers=0 option
  for option in "$@"; do
    case "$option" in
    --pgbouncer) pgbouncer=1 ;;
    --containers) containers=1 ;;
    *) die "up: unknown option $option" ;;
    esac
  done
  ! pooled || pgbouncer=1
  ! contained || containers=1
  install_missing "$pgbouncer"
  mkdir -p "$DIR" "$RUN" "$LOG"
  [ "$containers" = 0 ] || {
    touch "$RUN/containers"
    server_image >/dev/null
  }
  chmod 755 "$DIR"
  chown postgres "$LOG"
  for n in "${NODES[@]}"; do
    mkdir -p "$DIR/$n"
    chown postgres "$DIR/$n"
    chmod 700 "$DIR/$n"
    render "$HERE/patroni.yml.in" "$DIR/$n/patroni.yml" NAME="$n" DIR="$DIR" \
      REST_PORT="$(rest_port "$n")" PG_PORT="$(pg_port "$n")" ETCD_HOSTS="$ETCD_HOSTS" \
      PG_MAJOR="$PG_MAJOR"
    chown postgres "$DIR/$n/patroni.yml"
  done
  local servers="" i
  for i in $(seq 1 "$APPS"); do
    servers+="    server app$i 127.0.0.1:$(app_port "$i") check"$'\n'
  done
  render "$HERE/haproxy.cfg.in" "$DIR/haproxy.cfg" DIR="$DIR" HA_PG_PORT="$HA_PG_PORT" \
    HA_HTTP_PORT="$HA_HTTP_PORT" HA_STATS_PORT="$HA_STATS_PORT" \
    PG1_NAME=pg1 PG1_PORT="$(pg_port pg1)" REST1_PORT="$(rest_port pg1)" \
    PG2_NAME=pg2 PG2_PORT="$(pg_port pg2)" REST2_PORT="$(rest_port pg2)"
  # multi-line: sed cannot take it as a replacement
  python3 -c 'import sys; p=sys.argv[1]; s=open(p).read(); open(p,"w").write(s.replace("@APP_SERVERS@\n", sys.argv[2]))' \
    "$DIR/haproxy.cfg" "$servers"
  env >"$DIR/topology.env" -i DIR="$DIR" HA_PG_PORT="$HA_PG_PORT" HA_HTTP_PORT="$HA_HTTP_PORT" \
    HA_STATS_PORT="$HA_STATS_PORT" ETCD_PORT="$ETCD_PORT" ETCD_HOSTS="$ETCD_HOSTS" \
    PG1_PORT="$(pg_port pg1)" PG2_PORT="$(pg_port pg2)" \
    REST1_PORT="$(rest_port pg1)" REST2_PORT="$(rest_port pg2)" \
    APPS="$APPS" APP_PORTS="$(for i in $(seq 1 "$APPS"); do printf '%s ' "$(app_port "$i")"; done)" \
    DATABASE_URL="$PG_URL" LISTEN_DATABASE_URL="$LISTEN_URL" \
    PGBOUNCER_PORT="$([ "$pgbouncer" = 0 ] || echo "$PGBOUNCER_PORT")" \
    SERVER_DATABASE_URL="$([ "$pgbouncer" = 0 ] && echo "$PG_URL" || echo "$PGBOUNCER_URL")" \
    SERVER_IMAGE="$([ "$containers" = 0 ] || server_image)" \
    SERVER_CONTAINERS="$([ "$containers" = 0 ] || for i in $(seq 1 "$APPS"); do printf '%s ' "$(container_name "$i")"; done)"

  local m
  for m in "${ETCD_MEMBERS[@]}"; do start_etcd "$m"; done
  for m in "${ETCD_MEMBERS[@]}"; do
    wait_for 30 "etcd member $m healthy" etcd_healthy "$m"
  done
  for n in "${NODES[@]}"; do
    start "patroni-$n" postgres patroni "$DIR/$n/patroni.yml"
  done
  start haproxy root haproxy -db -f "$DIR/haproxy.cfg"
  wait_for 120 "a PostgreSQL primary elected by Patroni" leader
  wait_for 180 "a synchronous standby streaming" sync_standby_present
  psql_primary -d postgres -c "SELECT 1" >/dev/null || die "HAProxy does not reach the primary"
  if [ "$(psql_primary -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
    psql_primary -d postgres -c "CREATE DATABASE $DB"
  fi
  # Migrations straight to the primary: DDL, one session, nothing to pool. With
  # containers, by the image, as a deploy does (`docker run --rm … migrate`).
  if contained; then
    docker run --rm --network host -e DATABASE_URL="$PG_URL" "$(server_image)" \
      loyalty-server migrate
  else
    DATABASE_URL="$PG_URL" "$VENV/loyalty-server" migrate
  fi
  [ "$pgbouncer" = 0 ] || start_pgbouncer
  for i in $(seq 1 "$APPS"); do start_server "$i"; done
  for i in $(seq 1 "$APPS"); do
    wait_for 90 "server$i ready" instance_ready "$i"
  done
  wait_for 30 "HAProxy routing to a ready instance" ready_behind_balancer
  say "up: http://127.0.0.1:$HA_HTTP_PORT (servers), PostgreSQL primary at 127.0.0.1:$HA_PG_PORT"
  status
}

# PgBouncer refuses to run as root: it runs as postgres, its files in $DIR/pgbouncer.
start_pgbouncer() {
  mkdir -p "$DIR/pgbouncer"
  render "$HERE/pgbouncer.ini.in" "$DIR/pgbouncer/pgbouncer.ini" DIR="$DIR" DB="$DB" \
    HA_PG_PORT="$HA_PG_PORT" PGBOUNCER_PORT="$PGBOUNCER_PORT" POOL_SIZE="$PGBOUNCER_POOL"
  echo '"postgres" ""' >"$DIR/pgbouncer/userlist.txt" # trust: the name must be listed
  chown -R postgres "$DIR/pgbouncer"
  start pgbouncer postgres pgbouncer "$DIR/pgbouncer/pgbouncer.ini"
  wait_for 30 "PgBouncer reaching the primary" \
    psql -X -q -At -h 127.0.0.1 -p "$PGBOUNCER_PORT" -U postgres -d "$DB" -c "SELECT 1"
}

# One etcd member of the static three-member cluster.
start_etcd() {
  local m=$1
  start "$m" root etcd --name "$m" --data-dir "$DIR/$m" \
    --listen-client-urls "http://127.0.0.1:$(etcd_port "$m")" \
    --advertise-client-urls "http://127.0.0.1:$(etcd_port "$m")" \
    --listen-peer-urls "http://127.0.0.1:$(etcd_peer_port "$m")" \
    --initial-advertise-peer-urls "http://127.0.0.1:$(etcd_peer_port "$m")" \
    --initial-cluster "$ETCD_CLUSTER" \
    --initial-cluster-state new --initial-cluster-token loyalty-topology
}
etcd_healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$(etcd_port "$1")/health" | grep -q '"health":"true"'; }

# Whether the server instances run as containers: asked for, or already so.
contained() { [ -f "$RUN/containers" ]; }
container_name() { echo "loyalty-topology-$BASE-server$1"; }
# The server image's tag, built first when missing (dockerd started if none answers:
# its pid in $RUN/dockerd.pid, so `down` stops it).
server_image() {
  if [ -z "${SERVER_IMAGE_TAG:-}" ]; then
    SERVER_IMAGE_TAG=$(LOYALTY_DOCKERD_PIDFILE="$RUN/dockerd.pid" LOYALTY_TOPOLOGY_MARK="$DIR" \
      "$BUILD_IMAGE" --if-missing | tail -1)
    [ -n "$SERVER_IMAGE_TAG" ] || die "no server image"
  fi
  echo "$SERVER_IMAGE_TAG"
}

start_server() {
  local settings=(DATABASE_URL="$(server_database_url)" LISTEN_DATABASE_URL="$LISTEN_URL"
    LOYALTY_HOST=127.0.0.1 LOYALTY_PORT="$(app_port "$1")" LOYALTY_WORKERS="$WORKERS"
    LOYALTY_LOG_LEVEL=WARNING LOYALTY_FORWARDED_ALLOW_IPS=127.0.0.1)
  if contained; then
    local name setting args=()
    name=$(container_name "$1")
    if running "server$1"; then # its container is left alone
      say "server$1 already running (pid $(cat "$RUN/server$1.pid"))"
      return
    fi
    docker rm -f "$name" >/dev/null 2>&1 || true # one left by a killed client
    for setting in "${settings[@]}"; do args+=(-e "$setting"); done
    # In the foreground: its client's pid is the instance's in $RUN, its log in $LOG.
    start "server$1" root docker run --rm --name "$name" --label "loyalty.topology=$DIR" \
      --network host "${args[@]}" "$(server_image)"
  else
    start "server$1" root env "${settings[@]}" "$VENV/loyalty-server" serve
  fi
}

# SIGTERM (`docker stop` for a container), in-flight requests finish, then it exits.
stop_server() {
  if contained && running "server$1"; then
    docker stop -t 45 "$(container_name "$1")" >/dev/null 2>&1 || true
  fi
  stop "server$1" 45
}

# haproxy_api COMMAND: one command on HAProxy's runtime API (its stats socket).
haproxy_api() {
  python3 - "$DIR/haproxy.sock" "$1" <<'PY'
import socket, sys
with socket.socket(socket.AF_UNIX) as s:
    s.settimeout(5)
    s.connect(sys.argv[1])
    s.sendall(sys.argv[2].encode() + b"\n")
    print(s.makefile().read(), end="")
PY
}

# haproxy_field INSTANCE FIELD: a field of `show stat` for loyalty_servers/appN
# (scur: requests in flight; status: UP, DOWN, DRAIN…).
haproxy_field() {
  haproxy_api "show stat" | awk -F, -v srv="app$1" -v field="$2" '
    NR == 1 { for (i = 1; i <= NF; i++) if ($i == field || $i == "# " field) col = i }
    $1 == "loyalty_servers" && $2 == srv { print $col }'
}
idle_in_haproxy() { [ "$(haproxy_field "$1" scur)" = 0 ]; }
up_in_haproxy() { [ "$(haproxy_field "$1" status)" = UP ]; }

# One instance at a time: drained in HAProxy (no new request goes to it; the others
# take them), its requests in flight finished, stopped (SIGTERM: graceful), started
# again, ready, and back in rotation before the next one goes.
rolling_restart() {
  [ -S "$DIR/haproxy.sock" ] || die "no HAProxy runtime socket in $DIR (topology not up?)"
  local i
  for i in $(seq 1 "$APPS"); do
    say "server$i: draining"
    haproxy_api "set server loyalty_servers/app$i state drain" >/dev/null
    wait_for 60 "server$i: requests in flight finished" idle_in_haproxy "$i"
    stop_server "$i"
    start_server "$i"
    wait_for 90 "server$i ready" instance_ready "$i"
    haproxy_api "set server loyalty_servers/app$i state ready" >/dev/null
    wait_for 30 "server$i back in rotation" up_in_haproxy "$i"
    say "server$i: restarted and in rotation"
  done
}

sync_standby_present() {
  [ "$(psql -X -At -h 127.0.0.1 -p "$(pg_port "$(leader)")" -U postgres -d postgres \
    -c "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync' AND state = 'streaming'")" -ge 1 ]
}

status() {
  [ -f "$DIR/topology.env" ] || {
    echo "no topology in $DIR"
    return 1
  }
  local n i m
  for m in "${ETCD_MEMBERS[@]}"; do # health, and which member leads the etcd cluster
    local health leader
    health=$( (curl -fsS --max-time 2 "http://127.0.0.1:$(etcd_port "$m")/health" 2>/dev/null ||
      echo '{}') | jq -r '.health // "down"')
    leader=-
    [ "$health" != true ] || leader=$(ETCDCTL_API=3 etcdctl --command-timeout=2s \
      --endpoints="127.0.0.1:$(etcd_port "$m")" endpoint status -w json 2>/dev/null |
      jq -r '.[0].Status | if .header.member_id == .leader then "yes" else "no" end' || echo -)
    printf 'etcd %s 127.0.0.1:%s  health=%s leader=%s\n' "$m" "$(etcd_port "$m")" "$health" "$leader"
  done
  for n in "${NODES[@]}"; do
    local role state
    role=$( (rest "$n" /patroni 2>/dev/null || echo '{}') | jq -r '.role // "down"')
    state=$( (rest "$n" /patroni 2>/dev/null || echo '{}') | jq -r '.state // "-"')
    printf 'postgres %-4s 127.0.0.1:%s  role=%-8s state=%s\n' "$n" "$(pg_port "$n")" "$role" "$state"
  done
  local primary
  if primary=$(leader); then
    psql -X -At -F ' ' -h 127.0.0.1 -p "$(pg_port "$primary")" -U postgres -d postgres -c \
      "SELECT 'replication ' || application_name, 'state=' || state, 'sync_state=' || sync_state,
              'replay_lag_bytes=' || pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)
         FROM pg_stat_replication ORDER BY 1" || true
    echo "synchronous_standby_names=$(psql -X -At -h 127.0.0.1 -p "$(pg_port "$primary")" \
      -U postgres -d postgres -c 'SHOW synchronous_standby_names')"
  else
    echo "no primary"
  fi
  for i in $(seq 1 "$APPS"); do
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
      "http://127.0.0.1:$(app_port "$i")/health/ready" || true)
    printf 'server%s 127.0.0.1:%s  /health/ready=%s\n' "$i" "$(app_port "$i")" "$code"
  done
  if pooled; then # SHOW POOLS: clients waiting, server connections in use and idle
    psql -X -A -F , -h 127.0.0.1 -p "$PGBOUNCER_PORT" -U postgres -d pgbouncer \
      -c "SHOW POOLS" 2>/dev/null | awk -F , -v port="$PGBOUNCER_PORT" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $1 != "pgbouncer" && NF > 2 {
          printf "pgbouncer 127.0.0.1:%s db=%s pool_mode=%s clients_active=%s clients_waiting=%s servers_active=%s servers_idle=%s\n",
            port, $1, $col["pool_mode"], $col["cl_active"], $col["cl_waiting"],
            $col["sv_active"], $col["sv_idle"] + $col["sv_used"] }' ||
      echo "pgbouncer 127.0.0.1:$PGBOUNCER_PORT down"
  fi
  printf 'haproxy http 127.0.0.1:%s  /health/ready=%s\n' "$HA_HTTP_PORT" \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$HA_HTTP_PORT/health/ready" || true)"
  curl -fsS --max-time 2 "http://127.0.0.1:$HA_STATS_PORT/;csv" 2>/dev/null |
    awk -F, '$1 != "# pxname" && $2 != "FRONTEND" && $2 != "BACKEND" && $1 != "stats" {print "haproxy " $1 "/" $2 " " $18}' || true
}

# stop NAME SECONDS: SIGTERM its process group, then SIGKILL after SECONDS.
stop() {
  local name=$1 seconds=$2 pid
  [ -f "$RUN/$name.pid" ] || return 0
  pid=$(cat "$RUN/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local until=$((SECONDS + seconds))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$until" ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      say "$name did not stop in ${seconds}s: SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$RUN/$name.pid"
}

# The processes of this topology still running (a postmaster orphaned by a killed
# Patroni, a server worker): those with the mark in their environment or a path of
# the topology on their command line. Their pids, one per line.
leftovers() {
  local pid
  for pid in $(ps -eo pid=); do
    [ "$pid" = "$$" ] && continue
    if tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qxF -- "LOYALTY_TOPOLOGY_MARK=$DIR" ||
      tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$DIR/"; then
      echo "$pid"
    fi
  done
  return 0
}

down() {
  local i n m
  for i in $(seq "$APPS" -1 1); do stop_server "$i"; done
  if contained || [ -f "$RUN/dockerd.pid" ]; then # a container whose client was killed
    local ids
    ids=$(docker ps -aq --filter "label=loyalty.topology=$DIR" 2>/dev/null || true)
    [ -z "$ids" ] || docker rm -f $ids >/dev/null
  fi
  stop pgbouncer 10
  stop haproxy 10
  for n in "${NODES[@]}"; do stop "patroni-$n" 60; done
  for n in "${NODES[@]}"; do # a postmaster whose Patroni was killed outlives it
    local pidfile="$DIR/$n/data/postmaster.pid"
    if [ -f "$pidfile" ] && kill -0 "$(head -1 "$pidfile")" 2>/dev/null; then
      runuser -u postgres -- "/usr/lib/postgresql/$PG_MAJOR/bin/pg_ctl" -D "$DIR/$n/data" \
        -m fast -w -t 30 stop || true
    fi
  done
  for m in "${ETCD_MEMBERS[@]}"; do stop "$m" 15; done
  stop etcd 15 # a single member of an older topology
  stop dockerd 30 # only if this topology started it
  rm -f "$RUN/containers"
  local left
  left=$(leftovers)
  if [ -n "$left" ]; then
    say "still running, stopping by pid: $(echo "$left" | tr '\n' ' ')"
    for pid in $left; do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 3
    for pid in $(leftovers); do kill -KILL "$pid" 2>/dev/null || true; done
    sleep 1
  fi
  left=$(leftovers)
  [ -z "$left" ] || die "processes left: $left"
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    left=$(docker ps -q --filter "label=loyalty.topology=$DIR")
    [ -z "$left" ] || die "containers left: $left"
  fi
  if [ "${1:-}" = "--purge" ]; then rm -rf "$DIR"; fi
  say "down: nothing of $DIR is running"
}

case "${1:-}" in
up) up "${@:2}" ;;
down) down "${2:-}" ;;
status) status ;;
env) cat "$DIR/topology.env" ;;
rolling-restart) rolling_restart ;;
*)
  echo "usage: $0 up [--pgbouncer] [--containers]|down [--purge]|status|env|rolling-restart" >&2
  exit 2
  ;;
esac
