#!/bin/sh
# Entry point of the node image: `init` makes the factory once (the data volume is shared by every
# node of the cluster), anything else is passed to `fleet-node`.
set -eu
node=/opt/fleet-node/fleet-node
if [ "${1:-}" = init-once ]; then
  shift
  if [ -f /var/lib/fleet/factory.json ]; then
    echo "factory already initialised in /var/lib/fleet"
    exit 0
  fi
  exec "$node" init --data /var/lib/fleet "$@"
fi
exec "$node" "$@"
