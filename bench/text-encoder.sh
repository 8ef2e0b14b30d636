#!/usr/bin/env bash
# Cost of the text encoder (issue 12): MiniLM's load time and memory, and its embedding rate, through
# `llmrec train --text-map on` on a synthetic catalogue with descriptions. Run on a quiet machine (~1-2 min):
#   bash bench/text-encoder.sh [ITEMS]
set -euo pipefail
cd "$(dirname "$0")/.."
items="${1:-2000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dotnet build src/Orleans.LlmRec.Cli -c Release -v q -nologo > /dev/null
llmrec=src/Orleans.LlmRec.Cli/bin/Release/net10.0/llmrec
echo "load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores, $(date -u +%FT%TZ)"
"$llmrec" data synth --out "$work/data" --items "$items" --text | tail -1
/usr/bin/time -f "train + text map: %e s wall, %M KB max RSS" \
  "$llmrec" train --data "$work/data" --model bpr --epochs 5 --text-map on --out "$work/model" 2>&1 \
  | grep -E "Embedded|MiniLM|Text map|max RSS"
