#!/usr/bin/env bash
# Serving benchmarks of bench/RESULTS.md, "Serving": one silo (Release) on loopback with Redis clustering,
# Redis grain storage (append-only file, fsync every second) and the Redis Streams consumer, serving a BPR model
# trained on ml-latest-small; the load generator runs on the same machine.
#
#   bench/serving.sh /path/to/ml-latest-small [scenario ...]
#   scenarios: feed fresh items ingest-http ingest-redis ingest-redis-live replay-http replay-redis (default: all)
#              feed-dashboard (not in the default list): cached feeds with no dashboard open vs one open (an SSE
#              client on /dashboard/stream), alternated twice on one silo; run it without AUTH (the open loopback
#              default), or give DASHBOARD_KEY=<a key with the admin scope> for the stream's X-Api-Key
#              feed-local (not in the default list): cached feeds side by side, one silo start each: every read asks
#              the user grain (Feed:LocalReadRefresh=00:00:00) / answered by the silo holding the grain (the default),
#              then the bare Kestrel ceiling; each with the silo's allocated bytes per request (dotnet-counters, installed
#              with `dotnet tool install -g dotnet-counters`). Compare builds with DOTNET_TieredCompilation=0.
#              side-by-side (not in the default list): issue 15's acceptance on ONE silo start, in sequence: cached feeds
#              vs the bare Kestrel ceiling, click-to-feed p99, HTTP ingestion, Redis Streams ingestion (200k prefilled
#              events), each with silo and Redis CPU per request/event; ends with one table for bench/RESULTS.md (~3 min)
#              feed-apart (not in the default list): cached feeds vs the same bare Kestrel endpoint run as a process of its
#              own (llmrec-load serve-ceiling), so each server's CPU per request is measured alone, as the silo's is; the
#              side-by-side ceiling shares the client's process and thread pool (~2 min with WARMUP=30)
#              WARMUP=30 (the default for side-by-side and feed-apart; seconds per measurement): on 2 cores a silo is still JIT-compiling its hot path 5 s into a
#              saturating load, and that compilation counts as its CPU per feed (issue 15, RESULTS "A million users")
#   SILO_ARGS="--EventStream:MaxBatchesInFlight=1" bench/serving.sh ...   adds silo settings
#   SILO_ENV="DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=70" bench/serving.sh ...   environment for the silo only
#   OUT, REDIS_PORT, HTTP, SILO_PORT, GATEWAY_PORT: where to publish, and the ports (to run beside another copy)
#   AUTH=1 bench/serving.sh ...   access control and rate limits on: one API key (llmrec keys new) that every request
#     carries (LLMREC_API_KEY), limits set high enough never to refuse, so only their cost is measured; side by side
#     with AUTH off: ENV_B="AUTH=1" bench/serving-ab.sh . . DATA feed
#
# Each ingestion scenario starts from an empty Redis and a fresh silo, so earlier events do not count as duplicates.
set -euo pipefail

DATA=${1:?usage: bench/serving.sh /path/to/ml-latest-small [scenario ...]}
shift
SCENARIOS=${*:-feed fresh ingest-http ingest-redis ingest-redis-live replay-http replay-redis}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-/tmp/llmrec-serving-bench}
REDIS_PORT=${REDIS_PORT:-6390}
HTTP=${HTTP:-http://127.0.0.1:5080}
SILO_PORT=${SILO_PORT:-11200}
GATEWAY_PORT=${GATEWAY_PORT:-30200}
EPOCHS=${EPOCHS:-60}
mkdir -p "$OUT"

if [[ ! -f "$OUT/silo/Orleans.LlmRec.Silo.dll" || -n "${REBUILD:-}" ]]; then
  dotnet publish "$ROOT/src/Orleans.LlmRec.Silo" -c Release -o "$OUT/silo" -v quiet
  dotnet publish "$ROOT/src/Orleans.LlmRec.Cli" -c Release -o "$OUT/cli" -v quiet
  dotnet publish "$ROOT/bench/Orleans.LlmRec.LoadGenerator" -c Release -o "$OUT/load" -v quiet
fi
if [[ ! -f "$OUT/model/manifest.json" ]]; then
  dotnet "$OUT/cli/llmrec.dll" train --data "$DATA" --format ml-latest-small --model bpr --epochs "$EPOCHS" --out "$OUT/model"
fi

AUTH_ARGS=()
if [[ -n "${AUTH:-}" ]]; then
  mapfile -t KEY < <(dotnet "$OUT/cli/llmrec.dll" keys new --scopes feeds:read,events:write,users:write --name bench --plain)
  export LLMREC_API_KEY=${KEY[0]}
  AUTH_ARGS=("--Security:ApiKeys:0=${KEY[1]}" --RateLimits:PerCredentialRequestsPerSecond=10000000 --RateLimits:PerCredentialBurst=10000000
    --RateLimits:PerUserRequestsPerSecond=10000000 --RateLimits:PerUserBurst=10000000 --RateLimits:EventsPerSecond=100000000 --RateLimits:EventsBurst=100000000)
  echo "# access control on: API key ${KEY[1]%%;*}..., rate limits on (never refusing)"
fi

REDIS_PID=""
SILO_PID=""
stop() {
  [[ -n "$SILO_PID" ]] && kill "$SILO_PID" 2>/dev/null && wait "$SILO_PID" 2>/dev/null || true
  [[ -n "$REDIS_PID" ]] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null || true
  SILO_PID=""
  REDIS_PID=""
}
trap stop EXIT

start() {
  stop
  rm -rf "$OUT/redis" && mkdir -p "$OUT/redis"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --appendonly yes --appendfsync everysec --save "" --dir "$OUT/redis" > "$OUT/redis.log" 2>&1 &
  REDIS_PID=$!
  sleep 0.5
  env ${SILO_ENV:-} dotnet "$OUT/silo/Orleans.LlmRec.Silo.dll" --urls "$HTTP" \
    --Silo:Clustering=Redis --Silo:Storage=Redis --Silo:RedisConnectionString=127.0.0.1:$REDIS_PORT \
    --Silo:AdvertisedAddress=127.0.0.1 --Silo:SiloPort=$SILO_PORT --Silo:GatewayPort=$GATEWAY_PORT \
    --Catalogue:DatasetPath="$DATA" --Catalogue:Format=ml-latest-small --Model:Directory="$OUT/model" \
    --EventStream:Enabled=true --Logging:LogLevel:Default=Warning "${AUTH_ARGS[@]}" ${SILO_ARGS:-} "$@" > "$OUT/silo.log" 2>&1 &
  SILO_PID=$!
  for _ in $(seq 1 120); do curl -sf "$HTTP/health" > /dev/null && return 0; sleep 0.5; done
  echo "silo did not become healthy; see $OUT/silo.log" >&2
  exit 1
}

# Each measured window also reports the silo's and redis-server's CPU per request or event (steadier than rates here).
load() { dotnet "$OUT/load/llmrec-load.dll" "$@" --target "$HTTP" --cpu-of "silo=$SILO_PID,redis=$REDIS_PID"; }

# The silo's allocated bytes per request over a measured window: dotnet-counters' allocation counter (bytes per second,
# one sample a second) from after the warm-up to the window's end, divided by the window's request rate.
export PATH="$PATH:$HOME/.dotnet/tools"
alloc_start() { rm -f "$OUT/counters.csv"; (sleep "$1"; timeout "$2" dotnet-counters collect -p "$SILO_PID" --counters System.Runtime --refresh-interval 1 --format csv -o "$OUT/counters.csv" > /dev/null 2>&1) & ALLOC_PID=$!; }
alloc_report() {
  wait "$ALLOC_PID" 2>/dev/null || true
  local rate
  # The first sample covers less than a second: left out.
  rate=$(grep -a "total_allocated" "$OUT/counters.csv" 2>/dev/null | tail -n +2 | awk -F, '{ s += $NF; n++ } END { if (n) printf "%.0f", s / n; else print 0 }')
  local rps
  rps=$(grep -m1 -oE '[0-9][0-9,]*/s' "$OUT/load.txt" | tr -d ',/s')
  echo "silo allocations: ${rate:-0} B/s at ${rps:-?} req/s = $(( ${rate:-0} / (${rps:-0} > 0 ? ${rps:-1} : 1) )) B per request (dotnet-counters, $OUT/counters.csv)"
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for scenario in $SCENARIOS; do
  echo "## $scenario (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  case $scenario in
    feed) start; load feed --concurrency 16 --warmup 3 --duration 10 --ceiling ;;
    fresh) start; load fresh --concurrency 1 --warmup 3 --duration 10; load fresh --concurrency 4 --warmup 3 --duration 10 ;;
    side-by-side) start; load side-by-side --redis "127.0.0.1:$REDIS_PORT" --events "${STREAM_EVENTS:-200000}" --batch 100 --warmup "${WARMUP:-30}" --duration 10 ;;
    feed-apart) start
      dotnet "$OUT/load/llmrec-load.dll" serve-ceiling --target "$HTTP" --listen "http://127.0.0.1:${CEILING_PORT:-5081}" > "$OUT/ceiling.log" 2>&1 &
      CEILING_PID=$!
      for _ in $(seq 1 60); do curl -sf -o /dev/null "http://127.0.0.1:${CEILING_PORT:-5081}/v1/users/1/feed" && break; sleep 0.5; done
      load feed --concurrency 16 --warmup "${WARMUP:-30}" --duration 10
      dotnet "$OUT/load/llmrec-load.dll" feed --target "http://127.0.0.1:${CEILING_PORT:-5081}" --cpu-of "bare=$CEILING_PID" --concurrency 16 --warmup "${WARMUP:-30}" --duration 10
      kill "$CEILING_PID"; wait "$CEILING_PID" 2>/dev/null || true ;;
    items) start; load items --concurrency 1 --warmup 3 --duration 20 ;;
    ingest-http) start; load ingest --concurrency 8 --batch 100 --warmup 3 --duration 10 ;;
    ingest-redis) start; load ingest --redis "127.0.0.1:$REDIS_PORT" --events 100000 --prefill ;;
    ingest-redis-live) start; load ingest --redis "127.0.0.1:$REDIS_PORT" --events 100000 ;;
    replay-http) start; dotnet "$OUT/cli/llmrec.dll" replay --data "$DATA" --format ml-latest-small --rate 0 --batch 500 --concurrency 4 --target "$HTTP" | tail -n 12 ;;
    replay-redis) start
      # Into a side stream first, then swapped in, so the consumers are timed without the producer competing.
      dotnet "$OUT/cli/llmrec.dll" replay --data "$DATA" --format ml-latest-small --rate 0 --target "redis://127.0.0.1:$REDIS_PORT" --stream llmrec:events:prefill | tail -n 12
      dotnet "$OUT/load/llmrec-load.dll" drain --redis "127.0.0.1:$REDIS_PORT" --from llmrec:events:prefill ;;
    feed-dashboard) start
      for round in 1 2; do
        echo "### round $round: no dashboard open"
        load feed --concurrency 16 --warmup 3 --duration 10 --ceiling
        curl -sN ${DASHBOARD_KEY:+-H "X-Api-Key: $DASHBOARD_KEY"} "$HTTP/dashboard/stream" > "$OUT/dashboard-stream.log" &
        DASHBOARD_PID=$!
        sleep 2
        echo "### round $round: one dashboard open (an SSE client on /dashboard/stream)"
        load feed --concurrency 16 --warmup 3 --duration 10 --ceiling
        kill "$DASHBOARD_PID" 2>/dev/null; wait "$DASHBOARD_PID" 2>/dev/null || true
        echo "dashboard stream: $(grep -c '^event: cluster' "$OUT/dashboard-stream.log") messages received while open"
      done ;;
    feed-local)
      for refresh in 00:00:00 00:00:05; do
        start "--Feed:LocalReadRefresh=$refresh"
        echo "### Feed:LocalReadRefresh=$refresh ($([[ $refresh == 00:00:00 ]] && echo 'every read asks the grain' || echo 'answered by the silo holding the grain'))"
        alloc_start 4 9
        # The ceiling runs right after the second window, on the same machine state.
        load feed --concurrency 16 --warmup 3 --duration 10 $([[ $refresh == 00:00:05 ]] && echo --ceiling) | tee "$OUT/load.txt"
        alloc_report
      done ;;
    *) echo "unknown scenario $scenario" >&2; exit 2 ;;
  esac
done
