#!/usr/bin/env sh
# What the tests need beside Python, on a Debian machine (run as root, or with sudo):
#   - chromium, headless, for the HTML report's test;
#   - a PostgreSQL server on loopback, with a role that may create databases, for the
#     shared store's tests (each test creates its own database and drops it);
#   - Mermaid (from npm, pinned), which the report's tests run in chromium to check that the
#     Markdown report's graph renders within Mermaid's default limits, as GitHub draws it.
# Installs what is missing and starts PostgreSQL; running it again changes nothing.
set -eu
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing="$missing postgresql"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
    apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
mermaid="${FORKFLOW_MERMAID_DIR:-/usr/local/share/forkflow-tests}"  # tests/report/mermaidjs.py reads it
if [ ! -f "$mermaid/node_modules/mermaid/dist/mermaid.min.js" ]; then
    npm install --silent --no-audit --no-fund --prefix "$mermaid" mermaid@11.17.2 >/dev/null
fi
if ! pg_lsclusters -h | grep -q .; then
    version="$(ls /usr/lib/postgresql | sort -n | tail -1)"
    pg_createcluster "$version" main >/dev/null
fi
pg_lsclusters -h | while read -r version cluster _port status _rest; do
    if [ "$status" != "online" ]; then
        pg_ctlcluster "$version" "$cluster" start
    fi
done
port="$(pg_lsclusters -h | awk 'NR==1 {print $3}')"
# The role the tests connect as: postgresql://forkflow:forkflow@127.0.0.1:$port/postgres
su postgres -c "psql -q -p $port -d postgres" <<'SQL'
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'forkflow') THEN
        CREATE ROLE forkflow LOGIN CREATEDB PASSWORD 'forkflow';
    END IF;
END
$$;
SQL
echo "postgresql://forkflow:forkflow@127.0.0.1:$port/postgres"
