#!/usr/bin/env bash
# Issue 12 deliverable 3: candidate retrieval at 10k, 100k and 1M items (clustered synthetic models, d = 64, exported
# with our exporter; see bench/Orleans.LlmRec.Benchmarks/RetrievalRun.cs). Per size: the approximate index's build
# time and memory (bytes per item, RSS delta), recall@100 against the exact top 100 over 500 users (the index alone,
# and as served: 4 × pool + exclusions candidates re-scored exactly) at the shipped default (ef by catalogue size,
# 8-bit storage) and at ef 256, and feed scoring p50/p99 of the exact path (OnnxScorer over the whole catalogue)
# against the approximate one (index search at the default + ONNX candidates graph), one request at a time and 8 at
# once. Results go to bench/RESULTS.md, "Candidate retrieval".
#
# Usage: bench/retrieval.sh        (estimated 3–4 minutes on 2 quiet cores, most of it building the 1M-item index;
#                                   peak memory about 2.5 GB)
#   ITEMS=1000000                  one size only
#   EF=0,256,512,1024,2048         the expansion sweep (0 = the default rule)
#   STORAGE=Int8,Float32           storage kinds (the first one's index serves the latency rows)
#   SERVE_EF=1024                  the ef of the latency rows (default: the shipped rule)
#   CACHE=/tmp/retrieval-cache     keep built indexes there and load them on the next run (build time then not measured)
#   SHARDS=1,2                     shard counts (default 0: the shipped rule, 2 from 500k items on ≥ 2 cores; each gets latency rows)
#   EF_ADD=256  M=16               the graph's build settings, when not the defaults (the cache holds one index per setting)
# After the latency rows, the approximate feed's stages one at a time (search wall / thread CPU, ONNX re-score wall /
# process CPU, a managed re-score for comparison, GCs and bytes allocated per feed), then each feed split at its hand-offs
# (shard search, scorer queue, batch run, hand-out, GC pause, run-queue delay), one feed at a time and 8 at once
# (RetrievalHandOffs.cs; `retrieval --hand-offs` runs that part alone).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dotnet build "$root/bench/Orleans.LlmRec.Benchmarks/Orleans.LlmRec.Benchmarks.csproj" -c Release -v quiet -nologo >/dev/null
uptime
dotnet "$root/bench/Orleans.LlmRec.Benchmarks/bin/Release/net10.0/Orleans.LlmRec.Benchmarks.dll" retrieval \
  --items "${ITEMS:-10000,100000,1000000}" --users 500 --requests 300 --concurrency 1,8 --ef "${EF:-0,256}" \
  --quantization "${STORAGE:-Int8}" ${SHARDS:+--shards "$SHARDS"} ${EF_ADD:+--ef-add "$EF_ADD"} ${M:+--connectivity "$M"} --stages ${CACHE:+--cache "$CACHE"} ${SERVE_EF:+--serve-ef "$SERVE_EF"}
