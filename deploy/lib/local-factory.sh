# Shared by deploy/demo.sh and the scripted load runs under tests/: a factory on this machine — an offline base
# image, a registry process, containers.git from examples/containers, one embedded fleet-node — with every
# process it starts stopped, and every container of the example apps removed, on exit.
# Source it after setting ROOT; it sets BIN, NODE, EDGE, PBM and WORK (a temporary folder) and the trap.
BIN="$ROOT/artifacts/bin"
NODE="$BIN/fleet-node/fleet-node" EDGE="$BIN/fleet-edge/fleet-edge" PBM="$BIN/pbm/pbm"
FACTORY=demo
EXAMPLE_APPS=(httpd simple-app hello-world-app)
WORK="$(mktemp -d /tmp/fleet-local.XXXXXX)"
PIDS=()

step() { printf '\n\033[1;32m### %s\033[0m\n' "$*"; }
run() { printf '\033[1;36m$ %s\033[0m\n' "$*"; "$@"; }
# Every pbm command is printed as an operator would type it.
pbm() { printf '\033[1;36m$ pbm %s %s\033[0m\n' "$PBM_AT" "$*"; "$PBM" "$PBM_AT" "$@"; }
# pbm_data <command...>: what the command answers, as one JSON document: the rows of its table (objects keyed by
# column; a long table comes in several frames), or its value. pbm --json prints one frame per line (docs/command-host.md).
pbm_data() {
  "$PBM" --json "$PBM_AT" "$@" | python3 -c '
import json, sys
rows, value = None, None
for line in sys.stdin:
    frame = json.loads(line)
    if frame.get("type") == "table": rows = (rows or []) + frame["rows"]
    elif frame.get("type") == "value": value = frame["value"]
    elif frame.get("type") == "end" and frame.get("exitCode"): sys.exit(frame["exitCode"])
print(json.dumps(rows if rows is not None else value))'
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# background <log> <command...>: started now, stopped (TERM, then KILL) on exit, newest first.
background() { local log="$1"; shift; "$@" >"$log" 2>&1 & PIDS+=($!); }

local_factory_cleanup() {
  local status=$?
  set +e
  [ $status -ne 0 ] && [ -f "$WORK/node.log" ] && { echo "--- last lines of the node log:"; tail -20 "$WORK/node.log"; } >&2
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do kill -TERM "${PIDS[i]}" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null
  done
  # Apps a real device ran: their containers and networks, found by compose's project label.
  for app in "${EXAMPLE_APPS[@]}"; do
    docker ps -aq --filter "label=com.docker.compose.project=$app" | xargs -r docker rm -f >/dev/null
    docker network ls -q --filter "label=com.docker.compose.project=$app" | xargs -r docker network rm >/dev/null
  done
  rm -rf "$WORK"
  exit $status
}
trap local_factory_cleanup EXIT

# until_ok <seconds> <what> <command...>: retries the command every 2 s.
until_ok() {
  local limit="$1" what="$2"; shift 2
  for _ in $(seq 1 $((limit / 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 2; done
  echo "gave up after ${limit}s waiting for: $what" >&2; return 1
}

require_tools() {
  for tool in "$NODE" "$EDGE" "$PBM"; do [ -x "$tool" ] || { echo "$tool not built: run ./build.sh build" >&2; exit 1; }; done
}

# Sets REGISTRY: a distribution registry on a free loopback port holding offline/busybox:static, imported from
# busybox-static (the docker.io mirror of this air-gapped factory).
start_registry() {
  if ! docker image inspect offline/busybox:static >/dev/null 2>&1; then
    mkdir -p "$WORK/rootfs/bin"
    cp "$(command -v busybox || echo /bin/busybox)" "$WORK/rootfs/bin/busybox"
    for applet in sh ls cat echo sleep httpd wget true; do ln -s busybox "$WORK/rootfs/bin/$applet"; done
    echo static >"$WORK/rootfs/image-tag"
    tar -C "$WORK/rootfs" -c . | docker import --change 'ENV PATH=/bin' - offline/busybox:static >/dev/null
  fi
  REGISTRY="127.0.0.1:$(free_port)"
  cat >"$WORK/registry.yml" <<YML
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $WORK/registry }, delete: { enabled: true } }
http: { addr: $REGISTRY }
YML
  background "$WORK/registry.log" docker-registry serve "$WORK/registry.yml"
  until_ok 10 "the registry" curl -fs "http://$REGISTRY/v2/"
  docker tag offline/busybox:static "$REGISTRY/offline/busybox:static"
  docker push --quiet "$REGISTRY/offline/busybox:static" >/dev/null
}

# Sets CONTAINERS: a git repository of examples/containers whose images name this factory's registry.
make_containers_git() {
  CONTAINERS="$WORK/containers.git"
  cp -r "$ROOT/examples/containers" "$CONTAINERS"
  rm -f "$CONTAINERS/README.md"
  grep -rl '127.0.0.1:5000/demo/' "$CONTAINERS" | xargs sed -i "s#127.0.0.1:5000/demo/#$REGISTRY/$FACTORY/#g"
  git -C "$CONTAINERS" init -q -b main
  git -C "$CONTAINERS" add -A
  git -C "$CONTAINERS" -c user.name=demo -c user.email=demo@example.invalid commit -qm "apps: httpd, simple-app, hello-world-app"
}

# start_node [extra HOCON]: fleet-node init + run on embedded defaults. Sets TOKEN, GATEWAY, PBM_AT, GATEWAY_CA.
start_node() {
  run "$NODE" init --factory "$FACTORY" --data "$WORK/node" --registry "$REGISTRY" --plain-http --mirror "docker.io=$REGISTRY"
  TOKEN="$(cat "$WORK/node/registration-token")"
  GATEWAY_CA="$WORK/node/ca/device-ca.pem"
  local gateway_port; gateway_port="$(free_port)"
  GATEWAY="https://127.0.0.1:$gateway_port/" PBM_AT="127.0.0.1:$(free_port)"
  mkdir -p "$WORK/hocon" && cp "$BIN/fleet-node/hocon/"*.conf "$WORK/hocon/"
  printf '%s\n' "${1:-}" >"$WORK/hocon/zz-local.conf"
  background "$WORK/node.log" "$NODE" run --data "$WORK/node" --gateway-port "$gateway_port" --pbm-port "${PBM_AT#*:}" \
    --remoting-port "$(free_port)" --hocon "$WORK/hocon"
  until_ok 60 "the node's command host" "$PBM" "$PBM_AT" cluster status
}

# run_real_device <name> <tag> <group> <poll interval>: registers a device whose apps run in this machine's Docker
# engine (data dir $WORK/<name>) and starts its agent daemon; AGENT is its pid.
run_real_device() {
  local name="$1" tag="$2" group="$3" poll="$4" group_switch=()
  [ -n "$group" ] && group_switch=(--group "$group")
  run "$EDGE" register --gateway "$GATEWAY" --token "$TOKEN" --hardware-id generic --name "$name" --tag "$tag" "${group_switch[@]}" \
    --gateway-ca "$GATEWAY_CA" --data-dir "$WORK/$name"
  cat >>"$WORK/$name/edge.conf" <<CONF
fleet.edge {
  poll-interval = $poll, poll-jitter = 1s
  compose-command = docker-compose
  health { confirmation-window = 5s, check-interval = 1s }
  registry { plain-http = true, mirrors { "docker.io" = "$REGISTRY" } }
}
CONF
  background "$WORK/$name.log" "$EDGE" run --data-dir "$WORK/$name"
  AGENT=${PIDS[-1]}
}

# simulated_conf <poll interval> <poll jitter> <confirmation window>: writes $WORK/simulated.conf, the settings
# laid over every simulated device's edge.conf (fleet-edge simulate --config).
simulated_conf() {
  cat >"$WORK/simulated.conf" <<CONF
fleet.edge {
  poll-interval = $1, poll-jitter = $2
  health { confirmation-window = $3, check-interval = 500ms }
  registry { plain-http = true, mirrors { "docker.io" = "$REGISTRY" } }
}
CONF
}

# The newest target version of tag main.
latest_version() {
  pbm_data targets list --tag main | python3 -c 'import json,sys; print(max(int(t["version"]) for t in json.load(sys.stdin)))'
}
