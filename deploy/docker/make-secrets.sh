#!/bin/sh
# The secret files compose.yaml mounts (Compose secrets), generated once:
#
#   sh deploy/docker/make-secrets.sh [DIR]        (default ./secrets; compose.yaml reads JALIN_SECRETS_DIR)
#
# A file that exists is kept (rotate one by removing it, running this again, then restarting
# what reads it; a database password also needs: docker compose exec postgres sh
# /docker-entrypoint-initdb.d/10-jalin.sh). Passwords are 'j' and 48 hex digits: what
# nats-server reads from the environment as a string, and what a URL carries unescaped.
#
# The folder is the operator's only (0700); the files are 0644 because Compose bind-mounts them
# as they are and each container reads them as its own user (postgres, nats, uid 10001).
# No file ends in a newline: the same files become Kubernetes Secrets (docs/deploy.md), whose
# values reach nats-server as environment variables as they are.
set -eu

dir="${1:-${JALIN_SECRETS_DIR:-./secrets}}"
services="proposals documents notifications evaluation"
mkdir -p "$dir"
chmod 700 "$dir"

password() {
    printf 'j%s' "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
}

put() {  # put NAME VALUE: write the file unless it exists
    if [ -e "$dir/$1" ]; then
        echo "kept     $dir/$1"
    else
        (umask 022 && printf '%s' "$2" > "$dir/$1")
        echo "written  $dir/$1"
    fi
}

put postgres_password "$(password)"
for service in $services; do
    put "${service}_database_url" "postgresql+asyncpg://jalin_${service}:$(password)@postgres:5432/jalin_${service}"
    put "nats_${service}_password" "$(password)"
done
put nats_sys_password "$(password)"
put nats_route_password "$(password)"
put nats_admin_password "$(password)"
put nats_streamer_password "$(password)"
put minio_root_user "jalin-root"
put minio_root_password "$(password)"
put s3_documents_secret_access_key "$(password)"
# The console: the key that signs its session cookie (at least 32 characters), and its client secret
# at the identity provider. Register the client with this secret, or, when the provider issues its
# own, write that into the file instead (printf '%s' ... without a final newline; docs/deploy.md).
put console_session_secret "$(password)"
put console_oidc_client_secret "$(password)"
