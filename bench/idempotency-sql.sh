#!/usr/bin/env bash
# What W4 with an Idempotency-Key costs PostgreSQL alone, whatever the server does: pgbench (32 clients,
# prepared statements) runs W4's one statement and the shapes an idempotent write can take, on sessiongraph's
# own schema with 100,000 sessions, in rounds, and prints each shape's rate as a ratio of W4's in the same
# round.
#   W4          the compiled update: the row, its audit row, the session back (one statement, autocommit)
#   W4 in txn   the same between BEGIN and COMMIT
#   claim only  the same with the step claimed in it (a CTE inserting the idempotency row), autocommit
#   pipelined   claim and work, then the sealed result stored, in one implicit transaction sent at once
#               (what no server can do: it must read the result before it can seal it)
#   as shipped  BEGIN, claim and work, the sealed result stored, COMMIT (what sessiongraph sends)
# Usage: bash bench/idempotency-sql.sh  (DATABASE_URL: a server to create its database on; ROUNDS, SECONDS_PER_RUN)
set -euo pipefail
cd "$(dirname "$0")/.."
server=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
rounds=${ROUNDS:-3}
seconds=${SECONDS_PER_RUN:-10}
name="sg_idem_$$"
url="${server%/*}/$name"
work=$(mktemp -d)
cleanup() { psql -q "$server" -c "DROP DATABASE IF EXISTS $name" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
psql -q "$server" -c "CREATE DATABASE $name"
psql -q "$url" -c 'CREATE TABLE public.users (id bigserial PRIMARY KEY, username text NOT NULL UNIQUE)'
DATABASE_URL=$url SESSIONGRAPH_CONFIG='' npx tsx src/cli.ts migrate >/dev/null
psql -q "$url" <<'SQL'
INSERT INTO sessiongraph.sessions (key_hash, data, expires_at)
  SELECT sha256(('bench-' || g)::bytea), '{"cart":[1,2,3],"theme":"dark"}', now() + interval '1 day'
    FROM generate_series(1, 100000) AS g;
CREATE TABLE public.bench_ids AS SELECT row_number() OVER () AS n, id FROM sessiongraph.sessions;
CREATE UNIQUE INDEX ON public.bench_ids (n);
ANALYZE;
SQL

claim="claim AS (INSERT INTO sessiongraph.idempotency (key_hash, step, request_hash)
  VALUES (sha256(CAST(:k AS text)::bytea), 'step1', sha256('request'::bytea)) ON CONFLICT DO NOTHING RETURNING 1),"
update() {
  echo "WITH $1 changed AS (UPDATE sessiongraph.sessions SET data = (data || '{\"k\":1}'::jsonb), version = version + 1
  WHERE id = (SELECT id FROM public.bench_ids WHERE n = :n) $2 RETURNING *),
  audit AS (INSERT INTO sessiongraph.audit_log (actor, action, session_id, user_id, outcome)
    SELECT 'token:1', 'updateSession', 'U2Vzc2lvbg', user_id, 'ok' FROM changed)
  SELECT * FROM changed;"
}
seal="UPDATE sessiongraph.idempotency SET result = convert_to(repeat('x', 300), 'UTF8')
  WHERE key_hash = sha256(CAST(:k AS text)::bytea) AND step = 'step1';"
vars='\set n random(1, 100000)
\set k random(1, 2000000000)'
printf '%s\n%s\n' "$vars" "$(update '' '')" >"$work/w4.sql"
printf '%s\nBEGIN;\n%s\nCOMMIT;\n' "$vars" "$(update '' '')" >"$work/w4-txn.sql"
printf '%s\n%s\n' "$vars" "$(update "$claim" 'AND EXISTS (SELECT 1 FROM claim)')" >"$work/claim.sql"
printf '%s\n\\startpipeline\n%s\n%s\n\\endpipeline\n' "$vars" "$(update "$claim" 'AND EXISTS (SELECT 1 FROM claim)')" "$seal" >"$work/pipelined.sql"
printf '%s\nBEGIN;\n%s\n%s\nCOMMIT;\n' "$vars" "$(update "$claim" 'AND EXISTS (SELECT 1 FROM claim)')" "$seal" >"$work/shipped.sql"

rate() {
  pgbench -n -M prepared -c 32 -j 2 -T "$seconds" -f "$work/$1.sql" "$url" 2>/dev/null |
    awk '/^tps/ { printf "%d", $3 }'
}
shapes=(w4 w4-txn claim pipelined shipped)
printf '%-10s' round; printf ' %12s' "${shapes[@]}"; echo '   (tx/s; ratio to w4)'
for round in $(seq 1 "$rounds"); do
  declare -A tps=()
  for shape in "${shapes[@]}"; do tps[$shape]=$(rate "$shape"); done
  printf '%-10s' "$round"
  for shape in "${shapes[@]}"; do
    printf ' %6s %5s' "${tps[$shape]}" "$(awk -v a="${tps[$shape]}" -v b="${tps[w4]}" 'BEGIN { printf "%.2f", a / b }')"
  done
  echo
done
