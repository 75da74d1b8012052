#!/bin/sh
# compose.yaml's NATS nodes: each JALIN_NATS_*_PASSWORD_FILE (a Compose secret) becomes the
# variable accounts.conf references (JALIN_NATS_*_PASSWORD), checked to be one nats-server reads
# as a string; then nats-server runs node.conf (its other settings from the environment too).
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

exec nats-server --config "${JALIN_NATS_CONFIG:-/etc/jalin-nats/node.conf}" "$@"
