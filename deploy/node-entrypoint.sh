#!/bin/sh
# Entry point of the node image: `init-once` makes the factory once (the data volume is shared by every
# node of the cluster) and issues each node of FLEET_CLUSTER_NODES its remoting certificate once, into
# nodes/<name> (a factory from an older init gets its cluster CA there); anything else is passed to `fleet-node`.
set -eu
node=/opt/fleet-node/fleet-node
if [ "${1:-}" = init-once ]; then
  shift
  if [ -f /var/lib/fleet/factory.json ]; then
    echo "factory already initialised in /var/lib/fleet"
  else
    "$node" init --data /var/lib/fleet "$@"
  fi
  for name in ${FLEET_CLUSTER_NODES:-}; do
    if [ ! -f "/var/lib/fleet/nodes/$name/node.pem" ]; then
      "$node" cert --data /var/lib/fleet --node "$name" --out "/var/lib/fleet/nodes/$name"
    fi
  done
  exit 0
fi
exec "$node" "$@"
