#!/usr/bin/env bash
# FleetOrchestrator build entry point. Run `./build.sh help` for the subcommands.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$ROOT/.work"          # runtime state of this script (engine pid, logs, demo data)
ARTIFACTS="$ROOT/artifacts"
CONFIG="${CONFIGURATION:-Release}"
TOOLS=(fleet-publish:src/FleetOrchestrator.Publish.Cli fleet-edge:src/FleetOrchestrator.Edge fleet-node:src/FleetOrchestrator.Node pbm:src/FleetOrchestrator.Pbm)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
mkdir -p "$WORK"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- setup
DEBIAN_PACKAGES=(docker.io docker-registry docker-compose busybox-static postgresql curl git)
have_binary() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
missing_packages() {
  local wanted=("${DEBIAN_PACKAGES[@]}") missing=()
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}
cmd_setup() {
  if ! command -v dotnet >/dev/null 2>&1 || ! dotnet --list-sdks | grep -q '^10\.'; then
    die ".NET 10 SDK not found. Install it: https://learn.microsoft.com/dotnet/core/install/linux (e.g. 'apt-get install dotnet-sdk-10.0' from Microsoft's package feed)."
  fi
  if command -v dpkg-query >/dev/null 2>&1; then
    local missing; missing="$(missing_packages)"
    if [ -n "${missing// }" ]; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        log "installing Debian packages: $missing"
        apt-get update -qq >/dev/null
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
      else
        die "missing packages; as root run: apt-get install -y $missing"
      fi
    fi
  else
    for b in docker dockerd docker-registry docker-compose busybox pg_ctl; do
      have_binary "$b" || die "not a Debian/Ubuntu system: install $b (Docker engine, distribution registry, docker-compose, busybox static build, PostgreSQL)"
    done
  fi
  log "setup ok: $(dotnet --version) SDK, $(docker-registry --version 2>/dev/null | awk '{print $NF}') registry"
}

# ---------------------------------------------------------------- infra
engine_up() { docker info >/dev/null 2>&1; }

# PostgreSQL for cluster mode and its tests: the distribution's cluster (pg_ctlcluster), a login role
# "fleet" that may create databases (each test makes its own), reached on loopback.
PG_ROLE=fleet PG_PASSWORD=fleet
postgres_psql() { su postgres -c "psql -p $1 -v ON_ERROR_STOP=1 -qtAc \"$2\""; }
postgres_up() {
  command -v pg_lsclusters >/dev/null 2>&1 || die "PostgreSQL not installed: run './build.sh setup'"
  local version name port status
  read -r version name port status _ < <(pg_lsclusters --no-header | head -1) || true
  [ -n "${version:-}" ] || die "no PostgreSQL cluster: create one with 'pg_createcluster <version> main'"
  if [ "$status" != online ]; then
    log "starting PostgreSQL $version/$name on port $port"
    pg_ctlcluster "$version" "$name" start
    echo "$version $name" >"$WORK/postgres.started"
  else
    log "PostgreSQL $version/$name already running on port $port"
  fi
  if [ "$(postgres_psql "$port" "SELECT 1 FROM pg_roles WHERE rolname='$PG_ROLE'")" != 1 ]; then
    postgres_psql "$port" "CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD'" >/dev/null
  fi
  export FLEET_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=$PG_ROLE;Password=$PG_PASSWORD;Database=postgres"
}
postgres_down() {
  if [ -f "$WORK/postgres.started" ]; then
    local version name; read -r version name <"$WORK/postgres.started"
    log "stopping PostgreSQL $version/$name (started by this script)"
    pg_ctlcluster "$version" "$name" stop || true
    rm -f "$WORK/postgres.started"
  fi
}

cmd_infra() {
  case "${1:-}" in
    up)
      postgres_up
      if engine_up; then log "Docker engine already running"; return; fi
      have_binary dockerd || die "dockerd not found: run './build.sh setup'"
      log "starting the Docker engine (log: $WORK/dockerd.log)"
      # No iptables: this project only talks to loopback; containers publish ports on 127.0.0.1.
      nohup dockerd --iptables=false --ip-masq=false >"$WORK/dockerd.log" 2>&1 &
      echo $! >"$WORK/dockerd.pid"
      for _ in $(seq 1 60); do engine_up && { log "Docker engine up"; return; }; sleep 0.5; done
      tail -20 "$WORK/dockerd.log" >&2; die "Docker engine did not start"
      ;;
    down)
      postgres_down
      if [ -f "$WORK/dockerd.pid" ]; then
        local pid; pid="$(cat "$WORK/dockerd.pid")"
        log "stopping the Docker engine we started (pid $pid)"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        rm -f "$WORK/dockerd.pid"
      else
        log "the Docker engine was not started by this script; leaving it alone"
      fi
      ;;
    *) die "usage: ./build.sh infra up|down" ;;
  esac
}

# ---------------------------------------------------------------- build
cmd_build() {
  log "building FleetOrchestrator.sln ($CONFIG)"
  dotnet build "$ROOT/FleetOrchestrator.sln" -c "$CONFIG" -v quiet -nologo -clp:ErrorsOnly
  for tool in "${TOOLS[@]}"; do
    local name="${tool%%:*}" project="${tool#*:}"
    dotnet publish "$ROOT/$project" -c "$CONFIG" --no-build -v quiet -nologo -o "$ARTIFACTS/bin/$name" >/dev/null
    log "built $ARTIFACTS/bin/$name/$name"
  done
}

# ---------------------------------------------------------------- test
cmd_test() {
  cmd_setup
  cmd_infra up
  cmd_build
  local results="$WORK/test-results"; rm -rf "$results"; mkdir -p "$results"
  log "running tests"
  local status=0
  dotnet test "$ROOT/FleetOrchestrator.sln" -c "$CONFIG" --no-build -nologo \
    --logger "trx" --results-directory "$results" -- RunConfiguration.TreatNoTestsAsError=false || status=$?
  python3 - "$results" <<'PY' || true
import sys, glob, xml.etree.ElementTree as ET
ns = {'t': 'http://microsoft.com/schemas/VisualStudio/TeamTest/2010'}
passed = failed = skipped = 0
for f in glob.glob(sys.argv[1] + '/*.trx'):
    c = ET.parse(f).getroot().find('t:ResultSummary/t:Counters', ns)
    if c is None: continue
    passed += int(c.get('passed', 0)); failed += int(c.get('failed', 0)) + int(c.get('error', 0))
    skipped += int(c.get('notExecuted', 0))
print(f"Tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
  return $status
}

# ---------------------------------------------------------------- demo
cmd_demo() {
  cmd_setup
  cmd_infra up
  cmd_build
  exec "$ROOT/deploy/demo.sh"
}

usage() {
  cat <<USAGE
usage: ./build.sh <command>
  setup               install what is missing (Debian/Ubuntu, as root) and check the .NET 10 SDK
  infra up|down       start / stop the Docker engine and PostgreSQL (only what this script started is stopped)
  build               build everything; executables land in artifacts/bin/<tool>/<tool>
  test                setup, infra up, build, run every test project, print the totals
  demo                build, then deploy/demo.sh: a node, a registry, 1 real + 200 simulated devices, two staged rollouts with pbm
  help                print this usage
USAGE
}

case "${1:-help}" in
  setup) shift; cmd_setup "$@" ;;
  infra) shift; cmd_infra "$@" ;;
  build) cmd_build ;;
  test) cmd_test ;;
  demo) cmd_demo ;;
  help|-h|--help) usage ;;
  *) printf 'unknown command: %s\n' "$1" >&2; usage >&2; exit 2 ;;
esac
