#!/bin/sh
# One database and one login role per Jalin service, from the services' own database URLs:
# each secret <service>_database_url (postgresql+asyncpg://jalin_<service>:<password>@postgres:5432/jalin_<service>)
# names the role, its password and the database, so the password is written once.
#
# The postgres image runs this on the first start of an empty data volume
# (/docker-entrypoint-initdb.d/). It may be run again at any time to add a service's database
# or change a password (CREATE what is missing, ALTER ROLE ... PASSWORD):
#   docker compose exec postgres sh /docker-entrypoint-initdb.d/10-jalin.sh
# Each role owns its database and nothing else; PUBLIC may not connect to it.
#
# The image's entrypoint sources a script that is not executable: everything runs in a subshell,
# so neither its shell options nor an exit reach the entrypoint (a failure still stops the init).

jalin_init() (
set -eu

secrets_dir="${JALIN_SECRETS_DIR:-/run/secrets}"
services="${JALIN_SERVICES:-proposals documents notifications evaluation}"

for service in $services; do
    file="$secrets_dir/${service}_database_url"
    if [ ! -r "$file" ]; then
        echo "init-jalin: $file is missing: the $service service's database URL" >&2
        exit 1
    fi
    url=$(head -n 1 "$file")
    pattern='^postgresql(\+asyncpg)?://([A-Za-z_][A-Za-z0-9_]*):([A-Za-z0-9_-]+)@[^/]+/([A-Za-z_][A-Za-z0-9_]*)(\?.*)?$'
    if ! printf '%s\n' "$url" | grep -Eq "$pattern"; then
        echo "init-jalin: $file must be postgresql+asyncpg://<role>:<password>@<host>:<port>/<database>" \
             "(role and database of letters, digits and _; a password of letters, digits, - and _)" >&2
        exit 1
    fi
    role=$(printf '%s\n' "$url" | sed -E "s#$pattern#\\2#")
    password=$(printf '%s\n' "$url" | sed -E "s#$pattern#\\3#")
    database=$(printf '%s\n' "$url" | sed -E "s#$pattern#\\4#")
    psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
         -v role="$role" -v password="$password" -v database="$database" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'role', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'role')
    WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'database', :'role') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'database') \gexec
SQL
    echo "init-jalin: $service: role $role owns database $database"
done
)

jalin_init
