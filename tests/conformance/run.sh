#!/usr/bin/env bash
# Runs the MCP conformance suite (client side) against tests.conformance.client.
# Needs: `npm ci --prefix ci/npm` (pins the suite and Node 22) and the project venv in .venv.
# Exits non-zero on any failure not listed in tests/conformance/baseline.yml.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$ROOT/ci/npm/node_modules/.bin"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
if [[ ! -x "$BIN/conformance" || ! -x "$BIN/node" ]]; then
  echo "conformance suite not installed: run 'npm ci --prefix ci/npm' from $ROOT" >&2
  exit 2
fi
OUT="${CONFORMANCE_OUT:-$(mktemp -d)}"
cd "$ROOT"
# The suite needs Node >= 22; ci/npm pins node@22, whose binary must come first on PATH.
export PATH="$BIN:$PATH"
run() { conformance client --command "$PY -m tests.conformance.client" \
  --expected-failures "$ROOT/tests/conformance/baseline.yml" -o "$OUT" "$@"; }
export -f run
export PY ROOT OUT
if [[ -n "${CONFORMANCE_SUITE:-}" ]]; then
  run --suite "$CONFORMANCE_SUITE"
else
  scenarios=$(conformance list --client | sed -n 's/^  - \([^ ]*\).*/\1/p')
  # Auth scenarios run three at a time. The others run alone afterwards, because `sse-retry`
  # times the client's reconnect delay, which a busy 2-core machine makes late.
  grep '^auth/' <<<"$scenarios" | xargs -P 3 -I{} bash -c 'run --scenario "$1"' _ {}
  for scenario in $(grep -v '^auth/' <<<"$scenarios"); do
    run --scenario "$scenario"
  done
fi
echo "conformance results in $OUT" >&2
