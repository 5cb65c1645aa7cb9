# Sourced by scripts/run and scripts/test: brings up what otpgram needs on this machine.
# Everything installed comes from the OS packages; everything started keeps its data under
# data/ in the project (or a temporary folder for tests).

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
install_packages() {
  if ! command -v apt-get >/dev/null 2>&1; then
    log "cannot install $* automatically (no apt-get): install it and try again"
    return 1
  fi
  if [ "$apt_updated" = 0 ]; then
    as_root apt-get update -qq >/dev/null
    apt_updated=1
  fi
  log "installing $* from the OS packages"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A TCP port nobody listens on, below Linux's ephemeral range (32768+), where outgoing
# connections could already hold it. With an argument, port+10000 must be free too (a Redis
# Cluster node's bus port), so the port is picked from 20000-22767.
free_port() {
  local port span=12768
  [ -n "${1:-}" ] && span=2768
  for _ in $(seq 1 100); do
    port=$(( (RANDOM % span) + 20000 ))
    if port_free "$port" && { [ -z "${1:-}" ] || port_free $((port + 10000)); }; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# host and port of a redis:// URL (user, password and database are ignored here).
redis_host_port() {
  local rest=${1#*://}
  rest=${rest##*@}
  rest=${rest%%/*}
  local host=${rest%:*} port=${rest##*:}
  [ "$port" = "$rest" ] && port=6379
  echo "$host $port"
}

redis_answers() {
  local host=$1 port=$2 reply
  # The braces keep the 2>/dev/null to this line (a bare `exec 2>…` would silence the script).
  { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  read -r -t 2 reply <&3 || reply=
  exec 3>&- 3<&-
  case "$reply" in +PONG*|-NOAUTH*) return 0 ;; *) return 1 ;; esac
}

# Makes REDIS_URL answer: starts a local redis-server when it does not (installing it first if
# needed). $1 = "persistent" keeps data under data/redis; anything else runs it in memory.
# Sets STARTED_REDIS_PID when it started one.
ensure_redis() {
  export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
  local host port
  read -r host port <<<"$(redis_host_port "$REDIS_URL")"
  if redis_answers "$host" "$port"; then
    log "Redis answers at $host:$port"
    return 0
  fi
  case "$host" in
    127.0.0.1|localhost|::1|"[::1]") ;;
    *) log "REDIS_URL ($host:$port) does not answer and is not local: start it, or unset REDIS_URL"; return 1 ;;
  esac
  command -v redis-server >/dev/null 2>&1 || install_packages redis-server
  local dir="$root/data/redis"
  mkdir -p "$dir"
  local persistence=(--save "" --appendonly no)
  [ "${1:-}" = persistent ] && persistence=(--save "60 1" --appendonly yes)
  log "starting redis-server on 127.0.0.1:$port (data in $dir)"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes \
    --pidfile "$dir/redis-$port.pid" --logfile "$dir/redis-$port.log" "${persistence[@]}"
  for _ in $(seq 1 100); do
    if redis_answers 127.0.0.1 "$port"; then
      STARTED_REDIS_PID=$(cat "$dir/redis-$port.pid" 2>/dev/null || true)
      return 0
    fi
    sleep 0.1
  done
  log "redis-server did not start; see $dir/redis-$port.log"
  return 1
}

pg_bindir() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$found" ] && [ -x "$found/initdb" ]; then echo "$found"; return 0; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v initdb)")"; return 0; fi
  return 1
}

# Starts a throwaway PostgreSQL server (unless OTPGRAM_TEST_POSTGRES_URL is already set) and
# exports OTPGRAM_TEST_POSTGRES_URL. Sets STARTED_PG_DIR when it started one.
ensure_test_postgres() {
  if [ -n "${OTPGRAM_TEST_POSTGRES_URL:-}" ]; then
    log "using PostgreSQL at OTPGRAM_TEST_POSTGRES_URL"
    return 0
  fi
  local bin
  bin=$(pg_bindir) || { install_packages postgresql; bin=$(pg_bindir); } || { log "no PostgreSQL server binaries"; return 1; }
  local dir port
  dir=$(mktemp -d /tmp/otpgram-pg.XXXXXX)
  port=$(free_port)
  local run=()
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root: use its own system user.
    id postgres >/dev/null 2>&1 || as_root useradd --system --no-create-home postgres
    chown postgres "$dir"
    run=(runuser -u postgres --)
  fi
  "${run[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log"; return 1; }
  log "starting a throwaway PostgreSQL on 127.0.0.1:$port"
  "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
    >/dev/null || { cat "$dir/server.log"; return 1; }
  STARTED_PG_DIR=$dir
  STARTED_PG_BIN=$bin
  export OTPGRAM_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

# Debian's Chromium and its WebDriver (chromedriver), for the browser test.
ensure_chromium() {
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    install_packages chromium chromium-driver
  fi
  CHROMIUM=${CHROMIUM:-$(command -v chromium)}
  CHROMEDRIVER=${CHROMEDRIVER:-$(command -v chromedriver)}
  export CHROMIUM CHROMEDRIVER
}

# schemathesis (PyPI), pinned, in its own virtualenv in the cache; exports SCHEMATHESIS.
SCHEMATHESIS_VERSION=4.32.5
ensure_schemathesis() {
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/otpgram/schemathesis-$SCHEMATHESIS_VERSION"
  if [ ! -x "$venv/bin/schemathesis" ]; then
    log "installing schemathesis $SCHEMATHESIS_VERSION from PyPI"
    command -v python3 >/dev/null 2>&1 || install_packages python3
    python3 -m venv "$venv" 2>/dev/null || { install_packages python3-venv; python3 -m venv "$venv"; }
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  export SCHEMATHESIS="$venv/bin/schemathesis"
}

# panva's openid-client (npm), pinned, in its own folder in the cache, with Node.js from the OS
# packages when the machine has none; exports OPENID_CLIENT_DIR and NODE.
OPENID_CLIENT_VERSION=6.9.0
ensure_openid_client() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || install_packages nodejs npm
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/otpgram/rp-node-openid-client-$OPENID_CLIENT_VERSION"
  if [ ! -f "$dir/node_modules/openid-client/package.json" ]; then
    log "installing openid-client $OPENID_CLIENT_VERSION from the npm registry"
    mkdir -p "$dir"
    (cd "$dir" && npm install --silent --no-audit --no-fund "openid-client@$OPENID_CLIENT_VERSION" >/dev/null)
  fi
  OPENID_CLIENT_DIR=$dir
  NODE=$(command -v node)
  export OPENID_CLIENT_DIR NODE
}

# Django and mozilla-django-oidc (PyPI), pinned, in their own virtualenv in the cache: the shop
# of the relying-party test; exports DJANGO_PYTHON.
DJANGO_VERSION=5.2.19
MOZILLA_DJANGO_OIDC_VERSION=5.0.2
ensure_django_shop() {
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/otpgram/rp-django-$DJANGO_VERSION-mozilla-$MOZILLA_DJANGO_OIDC_VERSION"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import mozilla_django_oidc' 2>/dev/null; then
    log "installing Django $DJANGO_VERSION and mozilla-django-oidc $MOZILLA_DJANGO_OIDC_VERSION from PyPI"
    command -v python3 >/dev/null 2>&1 || install_packages python3
    python3 -m venv "$venv" 2>/dev/null || { install_packages python3-venv; python3 -m venv "$venv"; }
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
      "Django==$DJANGO_VERSION" "mozilla-django-oidc==$MOZILLA_DJANGO_OIDC_VERSION"
  fi
  export DJANGO_PYTHON="$venv/bin/python"
}

# Starts a throwaway three-master Redis Cluster and exports OTPGRAM_TEST_CLUSTER_URL.
ensure_test_cluster() {
  command -v redis-server >/dev/null 2>&1 || install_packages redis-server
  command -v redis-cli >/dev/null 2>&1 || install_packages redis-tools
  STARTED_CLUSTER_DIR=$(mktemp -d /tmp/otpgram-cluster.XXXXXX)
  STARTED_CLUSTER_PORTS=()
  local nodes=() port attempt
  for _ in 1 2 3; do
    for attempt in 1 2 3; do
      port=$(free_port cluster)
      mkdir -p "$STARTED_CLUSTER_DIR/$port"
      redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes \
        --cluster-config-file "$STARTED_CLUSTER_DIR/$port/nodes.conf" --dir "$STARTED_CLUSTER_DIR/$port" \
        --save "" --appendonly no --daemonize yes --logfile "$STARTED_CLUSTER_DIR/$port/redis.log"
      for _ in $(seq 1 50); do redis_answers 127.0.0.1 "$port" && break; sleep 0.1; done
      redis_answers 127.0.0.1 "$port" && break
      log "cluster node on $port did not start (attempt $attempt):"
      tail -n 5 "$STARTED_CLUSTER_DIR/$port/redis.log" >&2 || true
      [ "$attempt" = 3 ] && return 1
    done
    STARTED_CLUSTER_PORTS+=("$port")
    nodes+=("127.0.0.1:$port")
  done
  log "starting a three-master Redis Cluster on ${nodes[*]}"
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes \
    >"$STARTED_CLUSTER_DIR/create.log" 2>&1 || { cat "$STARTED_CLUSTER_DIR/create.log"; return 1; }
  for _ in $(seq 1 100); do
    redis-cli -p "${STARTED_CLUSTER_PORTS[0]}" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && break
    sleep 0.1
  done
  export OTPGRAM_TEST_CLUSTER_URL="redis-cluster://${nodes[0]}?node=${nodes[1]}&node=${nodes[2]}"
}

stop_started_services() {
  for port in ${STARTED_CLUSTER_PORTS[@]+"${STARTED_CLUSTER_PORTS[@]}"}; do
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  done
  if [ -n "${STARTED_CLUSTER_DIR:-}" ]; then rm -rf "$STARTED_CLUSTER_DIR"; fi
  if [ -n "${STARTED_PG_DIR:-}" ]; then
    local run=()
    [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
    "${run[@]}" "$STARTED_PG_BIN/pg_ctl" -D "$STARTED_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$STARTED_PG_DIR"
  fi
  if [ -n "${STARTED_REDIS_PID:-}" ]; then
    kill "$STARTED_REDIS_PID" 2>/dev/null || true
  fi
}
