#!/usr/bin/env bash
# Scripted load run for the edge agent's figures (docs/benchmarks.md, "Edge agent"), on a local factory:
#   1. one real agent (`fleet-edge run`, poll interval 300 s) installs examples/containers, then idles: its resident
#      memory (VmRSS) and the CPU it uses over --idle-seconds are sampled from /proc;
#   2. `fleet-edge simulate --devices N` registers N devices and installs the same target on each: its resident
#      memory once every device runs it (--devices 0: the idle agent only).
# usage: tests/FleetOrchestrator.Edge.Benchmarks/agent-load.sh [--devices 10000] [--idle-seconds 120]
# Needs `./build.sh build` and the Docker engine (`./build.sh infra up`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$ROOT/deploy/lib/local-factory.sh"
DEVICES=10000 IDLE_SECONDS=120
while [ $# -gt 0 ]; do
  case "$1" in
    --devices) DEVICES="$2"; shift 2 ;;
    --idle-seconds) IDLE_SECONDS="$2"; shift 2 ;;
    *) echo "usage: $0 [--devices N] [--idle-seconds S]" >&2; exit 2 ;;
  esac
done
rss_mb() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime, in clock ticks
TICKS_PER_SECOND="$(getconf CLK_TCK)"

require_tools
start_registry
make_containers_git
# Every simulated device registers and connects from this machine's one address.
start_node 'fleet.gateway.registration.per-minute = 1000000
fleet.gateway.registration.burst = 1000000
fleet.gateway.connections.max-per-address = 100000'
pbm apps publish --repo "$CONTAINERS" --tag main --hardware-id generic >/dev/null
TARGET="$FACTORY-$(latest_version)"
echo "published $TARGET"

step "Idle agent"
run_real_device idle-device main "" 300s >/dev/null
installed() { "$EDGE" status --json --data-dir "$WORK/idle-device" | python3 -c 'import json,sys; s=json.load(sys.stdin); sys.exit(0 if s["target"]==sys.argv[1] and s["pendingEvents"]==0 else 1)' "$TARGET"; }
until_ok 180 "the agent to install $TARGET" installed
sleep 10 # the cycle's last reports and app states
start_ticks="$(cpu_ticks "$AGENT")" peak=0
for _ in $(seq 1 $((IDLE_SECONDS / 5))); do
  sleep 5
  rss="$(rss_mb "$AGENT")"
  peak="$(python3 -c "print(max($peak, $rss))")"
done
used_ms=$(( ($(cpu_ticks "$AGENT") - start_ticks) * 1000 / TICKS_PER_SECOND ))
echo "idle agent after installing $TARGET: VmRSS $(rss_mb "$AGENT") MB (peak $peak MB over ${IDLE_SECONDS}s); CPU ${used_ms} ms in ${IDLE_SECONDS}s (clock tick $((1000 / TICKS_PER_SECOND)) ms)"

[ "$DEVICES" -gt 0 ] || exit 0
step "fleet-edge simulate --devices $DEVICES"
simulated_conf 120s 60s 1s
started=$SECONDS
background "$WORK/simulate.log" "$EDGE" simulate --gateway "$GATEWAY" --token "$TOKEN" --devices "$DEVICES" --gateway-ca "$GATEWAY_CA" \
  --config "$WORK/simulated.conf" --report-every 10s --data-dir "$WORK/simulate"
SIMULATE=${PIDS[-1]}
all_installed() { grep -q " $DEVICES devices: $TARGET $DEVICES;" "$WORK/simulate.log"; }
peak=0
until all_installed; do
  kill -0 "$SIMULATE" 2>/dev/null || { tail -20 "$WORK/simulate.log" >&2; exit 1; }
  [ $((SECONDS - started)) -lt 3600 ] || { echo "not all installed within an hour" >&2; tail -5 "$WORK/simulate.log" >&2; exit 1; }
  sleep 5
  peak="$(python3 -c "print(max($peak, $(rss_mb "$SIMULATE")))")"
done
echo "simulate: $DEVICES devices registered and running $TARGET after $((SECONDS - started)) s; VmRSS $(rss_mb "$SIMULATE") MB (peak $peak MB)"
grep -E "registered $DEVICES/$DEVICES|simulating" "$WORK/simulate.log" | tail -2
sleep 30
echo "simulate after 30 s more: VmRSS $(rss_mb "$SIMULATE") MB"
