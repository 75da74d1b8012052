#!/bin/sh
# compose.yaml's NATS nodes: each JALIN_NATS_*_PASSWORD_FILE (a Compose secret) becomes the
# variable accounts.conf or node.conf references (JALIN_NATS_*_PASSWORD), checked to be one
# nats-server reads as a string; the routes (JALIN_NATS_ROUTES, the nodes without credentials)
# get the route user's password (JALIN_NATS_ROUTE_PASSWORD_FILE), so that it is in no compose
# file; then nats-server runs node.conf (its other settings from the environment too).
set -eu

for file_var in $(env | sed -n 's/^\(JALIN_NATS_[A-Z0-9_]*_PASSWORD_FILE\)=.*/\1/p'); do
    var=${file_var%_FILE}
    eval "path=\${$file_var}"
    if [ ! -r "$path" ]; then
        echo "nats: $file_var: cannot read $path" >&2
        exit 1
    fi
    value=$(head -n 1 "$path")
    if ! printf '%s\n' "$value" | grep -Eq '^[A-Za-z][A-Za-z0-9_-]{15,127}$'; then
        echo "nats: $path ($file_var) must begin with a letter and hold 16 to 128 letters, digits, - and _" >&2
        exit 1
    fi
    export "$var=$value"
    unset "$file_var"
done

if [ -z "${JALIN_NATS_ROUTE_PASSWORD:-}" ]; then
    echo "nats: set JALIN_NATS_ROUTE_PASSWORD_FILE: the password the cluster's routes give (user route)" >&2
    exit 1
fi
case "${JALIN_NATS_ROUTES:-}" in
    *@*)
        echo "nats: JALIN_NATS_ROUTES names the nodes without a credential; the route user's is added here" >&2
        exit 1 ;;
    *nats://*) ;;
    *)
        echo "nats: JALIN_NATS_ROUTES must list the nodes' routes, e.g. [\"nats://nats-1:6222\",\"nats://nats-2:6222\"]" >&2
        exit 1 ;;
esac
# The password holds only letters, digits, - and _ (checked above): safe in a URL and in sed.
JALIN_NATS_ROUTES=$(printf '%s' "$JALIN_NATS_ROUTES" | sed "s#nats://#nats://route:${JALIN_NATS_ROUTE_PASSWORD}@#g")
export JALIN_NATS_ROUTES

exec nats-server --config "${JALIN_NATS_CONFIG:-/etc/jalin-nats/node.conf}" "$@"
