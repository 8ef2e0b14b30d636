#!/usr/bin/env bash
# The fault tests (tests/Orleans.LlmRec.IntegrationTests/FaultTests.cs) as a report: each breaks something under
# 11,000 events (HTTP and the Redis stream) and writes one "FAULT ..." line with the load held, requests by status,
# events lost / applied twice, the longest answer, the recovery times and the load average; bench/RESULTS.md, "Faults".
#
#   bench/faults.sh            (needs redis-server; about a minute per fault; ROUNDS=3 to repeat)
set -euo pipefail
cd "$(dirname "$0")/.."
report=$(mktemp)
dotnet build tests/Orleans.LlmRec.IntegrationTests/Orleans.LlmRec.IntegrationTests.csproj -c Release -v q -nologo >/dev/null
for round in $(seq 1 "${ROUNDS:-1}"); do
  echo "# round $round, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$report"
  LLMREC_FAULT_REPORT=$report dotnet test tests/Orleans.LlmRec.IntegrationTests/Orleans.LlmRec.IntegrationTests.csproj \
    -c Release --no-build --filter "FullyQualifiedName~.FaultTests." --logger "console;verbosity=minimal" || true
done
cat "$report"
rm -f "$report"
