#!/usr/bin/env bash
# The demo behind `./build.sh demo`: one embedded control-plane node (SQLite), a registry, the Docker engine,
# one real device and 200 simulated ones in three groups, and two staged rollouts driven with pbm.
# Expects `./build.sh build` to have run and the Docker engine to be up. Cleans up after itself.
# The real device's apps publish 127.0.0.1:18080 and :18081: do not run the demo while the edge tests run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/deploy/lib/local-factory.sh"

# A stage's status (stage -1: the wave's), from `pbm --json waves show`.
wave_field() {
  pbm_data waves show "$1" | python3 -c '
import json, sys
w = json.load(sys.stdin); i = int(sys.argv[1])
print(w["status"] if i < 0 else w["stages"][i]["status"])' "$2"
}
stage_is() { [ "$(wave_field "$1" "$2")" = "$3" ]; }
wave_is() { [ "$(wave_field "$1" -1)" = "$2" ]; }
# tag_has <tag> <n>: the fleet table lists n devices of the tag.
tag_has() { [ "$(pbm_data devices list --tag "$1" --limit 1000 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = "$2" ]; }

require_tools
for port in 18080 18081; do
  if (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null; then echo "127.0.0.1:$port is taken (the real device's apps publish it)" >&2; exit 1; fi
done

step "An offline base image and a local OCI registry"
start_registry
echo "registry at http://$REGISTRY, also the docker.io mirror of this air-gapped factory"

step "The factory's containers.git, from examples/containers"
make_containers_git
(cd "$CONTAINERS" && find . -path ./.git -prune -o -type f -print | sort)

step "One control-plane node on embedded defaults: TUF repository, device CA, SQLite journal"
# Demo pace: waves are evaluated every second (default 5 s).
# All 200 simulated devices below register and connect from 127.0.0.1: the per-address registration and connection
# limits of a real gateway (hocon/fleet.conf, fleet.gateway) are raised for this one address.
start_node 'fleet.waves.evaluate-every = 1s
fleet.gateway.registration.per-minute = 100000
fleet.gateway.registration.burst = 100000
fleet.gateway.connections.max-per-address = 10000'
pbm cluster status

step "Publish examples/containers for tag main: build, pin by digest, push each app, sign the TUF target"
pbm apps publish --repo "$CONTAINERS" --tag main --hardware-id generic
V1="$(latest_version)"
pbm targets list --tag main

step "A real device (apps in this machine's Docker engine) for tag prod, group lab"
run_real_device real-device prod lab 5s

step "200 simulated devices for tag prod in three groups (real registration, TUF, downloads; simulated containers)"
simulated_conf 5s 2s 2s
for group in lab:20 field-a:90 field-b:90; do
  name="${group%%:*}" count="${group#*:}"
  printf '\033[1;36m$ %s\033[0m\n' "fleet-edge simulate --gateway $GATEWAY --token … --devices $count --prefix $name --group $name --tag prod --config simulated.conf"
  background "$WORK/sim-$name.log" "$EDGE" simulate --gateway "$GATEWAY" --token "$TOKEN" --devices "$count" --prefix "$name" --group "$name" \
    --tag prod --gateway-ca "$GATEWAY_CA" --config "$WORK/simulated.conf" --report-every 30s --data-dir "$WORK/sim-$name"
done
until_ok 180 "201 devices of tag prod" tag_has prod 201
pbm devices list --group lab

step "Wave 1: target $V1 to tag prod, a 10 % canary first"
pbm waves init w1 "$V1" prod
pbm waves rollout w1 --limit 10% --failure 10 --min-sample 5
until_ok 240 "the canary to pass" stage_is w1 0 Passed
pbm waves status w1

step "Wave 1: then the groups, one stage each"
pbm waves rollout w1 --group lab
pbm waves rollout w1 --group field-a --ramp 120
pbm waves rollout w1 --group field-b
for stage in 1 2 3; do
  until_ok 300 "stage $stage to pass" stage_is w1 "$stage" Passed
  pbm waves status w1
done
pbm waves complete w1
pbm waves list

step "The real device runs target $V1: its httpd answers"
until_ok 60 "httpd on 127.0.0.1:18080" curl -fs http://127.0.0.1:18080/
run curl -fsS http://127.0.0.1:18080/
run "$EDGE" status --data-dir "$WORK/real-device"

step "Wave 2: a change whose httpd cannot start; the canary fails and the gate pauses the wave"
cat >"$CONTAINERS/httpd/docker-compose.yml" <<YML
version: "3"
services:
  web:
    image: offline/busybox:static
    command: ["sh", "-c", "echo missing config; exit 3"]
    labels:
      io.fleetorchestrator.simulate: fail   # simulated devices fail it the same way
YML
git -C "$CONTAINERS" -c user.name=demo -c user.email=demo@example.invalid commit -qam "httpd: needs a config it does not have"
pbm apps publish --repo "$CONTAINERS" --tag main --hardware-id generic
V2="$(latest_version)"
pbm waves init w2 "$V2" prod
pbm waves rollout w2 --limit 10% --failure 10 --min-sample 3
until_ok 240 "the failure gate to pause wave 2" wave_is w2 Paused
pbm waves status w2
FAILED="$(pbm_data devices list --tag prod --status install-failed | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["device"])')"
pbm devices updates "$FAILED"
# Abort with rollback withdraws the broken target: devices that run it go back to production, no wave offers it again.
pbm waves abort w2 --rollback
pbm targets list --tag prod

step "compose-apps on the real device (still on target $V1)"
run curl -fsS http://127.0.0.1:18080/
step "Done. Cleaning up: devices, node and registry stopped, containers and temporary files removed."
