#!/usr/bin/env bash
# Issue 12 deliverable 3, the latency half: feed scoring p50/p99 at 10k, 100k and 1M items (clustered synthetic
# models, d = 64, exported with our exporter), the exact path (OnnxScorer over the whole catalogue) against the
# approximate one (ItemVectorIndex search for 4 × pool + exclusions candidates, then the ONNX candidates graph), one
# request at a time and 8 at once; plus each size's index build time and memory. Recall and the ef sweep are
# load-independent and already in bench/RESULTS.md ("Candidate retrieval"); add FULL=1 to measure them again
# (about 5 more minutes, most of it the exact top 100 of 500 users at 1M).
#
# Usage: bench/retrieval.sh            (about 3 minutes on 2 quiet cores; peak memory about 2.5 GB at 1M items)
#   ITEMS=10000,100000                 fewer sizes
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
items=${ITEMS:-10000,100000,1000000}
dotnet build "$root/bench/Orleans.LlmRec.Benchmarks/Orleans.LlmRec.Benchmarks.csproj" -c Release -v quiet -nologo >/dev/null
bench=(dotnet "$root/bench/Orleans.LlmRec.Benchmarks/bin/Release/net10.0/Orleans.LlmRec.Benchmarks.dll" retrieval --items "$items")
uptime
if [[ "${FULL:-0}" == 1 ]]; then
  "${bench[@]}" --users 500 --requests 300 --concurrency 1,8
else
  "${bench[@]}" --latency-only --users 200 --requests 300 --concurrency 1,8
fi
