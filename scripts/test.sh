#!/usr/bin/env bash
# `npm test`: the whole suite on a fresh machine. The real-framework tests need Django 3.2, web.py,
# Flask-Session, psycopg2, PHP 8.2 with Symfony's session and security components and Illuminate's (Debian packages,
# installed when missing) and a real PostgreSQL: DATABASE_URL when set, else
# the server on 127.0.0.1:5432 when one answers, else a private cluster started here (and stopped after).
# Every test file makes its own fresh database on it. `npm run test:embedded` runs vitest on PGlite alone.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_ready=false
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "npm test: missing $*; install them (Debian: apt-get install $*) or run as root" >&2
    exit 1
  fi
  if [ "$apt_ready" = false ]; then apt-get update -qq; apt_ready=true; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! /usr/bin/python3 -c 'import django, web, psycopg2, flask_session, flask_sqlalchemy, flask_login' 2>/dev/null; then
  echo "npm test: installing Django 3.2, web.py, Flask-Session and psycopg2 for the real-framework tests"
  apt_install python3-django python3-webpy python3-psycopg2 python3-flask-session python3-flask-sqlalchemy \
    python3-flask-login
fi

symfony=/usr/share/php/Symfony/Component
if ! command -v php >/dev/null 2>&1 || ! php -r 'exit(extension_loaded("pdo_pgsql") && extension_loaded("mbstring") ? 0 : 1);' \
  || [ ! -f "$symfony/HttpFoundation/Session/Storage/Handler/PdoSessionHandler.php" ] \
  || [ ! -d "$symfony/Security/Http" ] || [ ! -d "$symfony/HttpKernel" ] \
  || [ ! -d /usr/share/php/Illuminate/Session ] || [ ! -d /usr/share/php/Illuminate/Database ] \
  || [ ! -d /usr/share/php/Illuminate/Auth ]; then
  echo "npm test: installing PHP 8.2, Symfony 5.4's session and security components and Illuminate 8's session and auth"
  apt_install php8.2-cli php8.2-pgsql php8.2-mbstring php-symfony-http-foundation php-symfony-http-kernel \
    php-symfony-security-core php-symfony-security-http php-symfony-security-csrf php-illuminate-session \
    php-illuminate-database php-illuminate-auth
fi

# The console's browser test drives Debian's chromium (playwright-core downloads no browser).
if ! command -v chromium >/dev/null 2>&1; then
  echo "npm test: installing chromium for the console's browser test"
  apt_install chromium
fi

if [ -z "${DATABASE_URL:-}" ]; then
  if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
  else
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then apt_install postgresql; fi
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    data=/tmp/sessiongraph-test-pg
    rm -rf "$data" && mkdir -p "$data"
    run_pg() { if [ "$(id -u)" = 0 ]; then chown postgres "$data" && su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
    run_pg "$bin/initdb -D $data -A trust -U postgres >/dev/null"
    run_pg "$bin/pg_ctl -D $data -o '-p 54329 -k /tmp -c listen_addresses=127.0.0.1' -l $data/log -w start >/dev/null"
    trap 'run_pg "$bin/pg_ctl -D $data -m fast stop >/dev/null" || true' EXIT
    export DATABASE_URL="postgres://postgres@127.0.0.1:54329/postgres"
    echo "npm test: started a private PostgreSQL on 127.0.0.1:54329"
  fi
fi
# The fault test (test/faults.test.ts) stops and starts a private cluster: it needs the server binaries
# even where a PostgreSQL already answers.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "npm test: installing the PostgreSQL server binaries for the fault test"
  apt_install postgresql
fi
echo "npm test: PostgreSQL at ${DATABASE_URL%%\?*}"
npx vitest run "$@"
