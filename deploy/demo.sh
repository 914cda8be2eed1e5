#!/usr/bin/env bash
# The demo behind `./build.sh demo`: a factory publishes examples/containers to a local registry.
# Expects `./build.sh build` to have run and the Docker engine to be up. Cleans up after itself.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PUBLISH="$ROOT/artifacts/bin/fleet-publish/fleet-publish"
FACTORY=demo
DEMO="$(mktemp -d /tmp/fleet-demo.XXXXXX)"
REGISTRY_PID=""

step() { printf '\n\033[1;32m### %s\033[0m\n' "$*"; }
run() { printf '\033[1;36m$ %s\033[0m\n' "$*"; "$@"; }
cleanup() {
  [ -n "$REGISTRY_PID" ] && kill "$REGISTRY_PID" 2>/dev/null || true
  rm -rf "$DEMO"
}
trap cleanup EXIT

[ -x "$PUBLISH" ] || { echo "fleet-publish not built: run ./build.sh build" >&2; exit 1; }

step "An offline base image: busybox-static imported as offline/busybox:static"
if ! docker image inspect offline/busybox:static >/dev/null 2>&1; then
  mkdir -p "$DEMO/rootfs/bin"
  cp "$(command -v busybox || echo /bin/busybox)" "$DEMO/rootfs/bin/busybox"
  for applet in sh ls cat echo sleep httpd wget true; do ln -s busybox "$DEMO/rootfs/bin/$applet"; done
  echo static >"$DEMO/rootfs/image-tag"
  tar -C "$DEMO/rootfs" -c . | docker import --change 'ENV PATH=/bin' - offline/busybox:static >/dev/null
fi
docker image ls offline/busybox:static

step "A local OCI registry (distribution) on a free loopback port"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
REGISTRY="127.0.0.1:$PORT"
cat >"$DEMO/registry.yml" <<YML
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $DEMO/registry }, delete: { enabled: true } }
http: { addr: $REGISTRY }
YML
docker-registry serve "$DEMO/registry.yml" >"$DEMO/registry.log" 2>&1 &
REGISTRY_PID=$!
for _ in $(seq 1 50); do curl -fs "http://$REGISTRY/v2/" >/dev/null && break; sleep 0.1; done
echo "registry at http://$REGISTRY (also serving as the docker.io mirror of this air-gapped factory)"
run docker tag offline/busybox:static "$REGISTRY/offline/busybox:static"
run docker push --quiet "$REGISTRY/offline/busybox:static"

step "The factory's containers.git, from examples/containers"
cp -r "$ROOT/examples/containers" "$DEMO/containers.git"
rm -f "$DEMO/containers.git/README.md"
grep -rl '127.0.0.1:5000/demo/' "$DEMO/containers.git" | xargs sed -i "s#127.0.0.1:5000/demo/#$REGISTRY/$FACTORY/#g"
git -C "$DEMO/containers.git" init -q -b main
git -C "$DEMO/containers.git" add -A
git -C "$DEMO/containers.git" -c user.name=demo -c user.email=demo@example.invalid commit -qm "apps: httpd, simple-app, hello-world-app"
(cd "$DEMO/containers.git" && find . -path ./.git -prune -o -type f -print | sort)

step "Publish: build containers, pin every image by digest, push each app as an OCI artifact"
run "$PUBLISH" --repo "$DEMO/containers.git" --registry "$REGISTRY" --factory "$FACTORY" \
  --tag main --hardware-id demo-x86_64 --plain-http --registry-mirror "docker.io=$REGISTRY" --out "$DEMO/target.json"

step "The TUF target that records the app set"
cat "$DEMO/target.json"

step "COMPOSE APP VERSION (like 'fioctl targets show')"
python3 - "$DEMO/target.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
print(f"{'COMPOSE APP':<18} VERSION")
print(f"{'-'*11:<18} -------")
for app, v in sorted(t["custom"]["docker_compose_apps"].items()):
    print(f"{app:<18} {v['uri']}")
PY

step "Read back the pinned httpd app from the registry"
URI="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["custom"]["docker_compose_apps"]["httpd"]["uri"])' "$DEMO/target.json")"
DIGEST="${URI##*@}"
run curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REGISTRY/v2/$FACTORY/httpd/manifests/$DIGEST" -o "$DEMO/manifest.json"
python3 -m json.tool "$DEMO/manifest.json"
LAYER="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' "$DEMO/manifest.json")"
curl -fsS "http://$REGISTRY/v2/$FACTORY/httpd/blobs/$LAYER" -o "$DEMO/httpd.tgz"
echo "bundle $LAYER:"; tar -tzvf "$DEMO/httpd.tgz"
echo "--- docker-compose.yml as published (pinned):"
tar -xzOf "$DEMO/httpd.tgz" docker-compose.yml

step "Verify every file of the bundle against its index, as a device does"
INDEX="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["annotations"]["org.foundries.app.bundle.index.digest"])' "$DEMO/manifest.json")"
curl -fsS "http://$REGISTRY/v2/$FACTORY/httpd/blobs/$INDEX" -o "$DEMO/index.json"
mkdir -p "$DEMO/device/httpd" && tar -xzf "$DEMO/httpd.tgz" -C "$DEMO/device/httpd"
python3 - "$DEMO/index.json" "$DEMO/device/httpd" <<'PY'
import hashlib, json, os, sys
index = json.load(open(sys.argv[1]))
for path, digest in sorted(index.items()):
    actual = "sha256:" + hashlib.sha256(open(os.path.join(sys.argv[2], path), "rb").read()).hexdigest()
    print(f"{'ok ' if actual == digest else 'BAD'} {path} {digest}")
    assert actual == digest
PY
echo "--- www/index.html: $(cat "$DEMO/device/httpd/www/index.html")"

step "Publish again with no change: same app digests (bundles are reproducible)"
"$PUBLISH" --repo "$DEMO/containers.git" --registry "$REGISTRY" --factory "$FACTORY" --plain-http \
  --registry-mirror "docker.io=$REGISTRY" --quiet --out "$DEMO/target2.json"
python3 - "$DEMO/target.json" "$DEMO/target2.json" <<'PY'
import json, sys
a, b = (json.load(open(f))["custom"]["docker_compose_apps"] for f in sys.argv[1:3])
for app in sorted(a):
    print(f"{app:<18} {'same' if a[app] == b[app] else 'DIFFERENT'} {b[app]['uri'].split('@')[1]}")
assert a == b
PY
step "Done. Cleaning up (registry stopped, temporary files removed)."
