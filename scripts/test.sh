#!/usr/bin/env bash
# The whole suite: setup, then lint, typecheck, build and test every package (turbo), then one
# closing line summing every package's results.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
export NEXT_TELEMETRY_DISABLED=1
rm -rf .test-results && mkdir -p .test-results
npx turbo run lint typecheck build test --output-logs=new-only --concurrency=1 --continue
status=$?
node scripts/test-summary.mjs || status=1
exit $status
