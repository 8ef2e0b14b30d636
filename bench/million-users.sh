#!/usr/bin/env bash
# "A million users" in bench/RESULTS.md: USERS distinct users with power-law activity (most light, a heavy tail)
# replayed through Redis Streams into one silo with Redis grain storage (append-only file, fsync every second).
# Reports Redis used_memory per user (the event stream itself left out), silo RSS per active grain and after idle
# deactivation, and Redis bytes written per event (AOF growth and bytes received while the silo consumed).
#
#   bench/million-users.sh                      USERS=1000000 MEAN=5 (the full run: needs a quiet machine)
#   USERS=50000 bench/million-users.sh          a reduced run that proves the script
#   OUT, REDIS_PORT, HTTP, SILO_PORT, GATEWAY_PORT, MAX_PER_USER, IDLE (Silo:IdleDeactivation, default 00:02:00),
#   DEACTIVATION_WAIT (at most this many seconds polling the activation count until Orleans has collected every user
#   grain; 0 skips it), SETTLE (seconds between the RSS readings after it, default 30), SILO_ARGS (more silo settings,
#   e.g. --Silo:ReclaimAfterDeactivations=0). Keep IDLE above the drain time, or the grains collected during the
#   drain make the per-grain RSS figure a mix. After the collection: RSS, RSS after SETTLE, after one forced full GC
#   (a dotnet-gcdump heap dump, whose live-type table goes to $OUT/idle.gcdump.txt) and SETTLE after that.
#   GCDUMP=1: also a heap dump (dotnet-gcdump, `dotnet tool install -g dotnet-gcdump`) before, after the drain and
#   after deactivation: live managed bytes per active grain (no GC slack) and the largest types, in $OUT/*.gcdump.txt
#
# The catalogue (40,000 items) comes from a separate small synthetic click log, with no training history handed to
# users (Catalogue:TrainingHistoryPerUser=0), so every replayed user's state is only what the replay sent.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
USERS=${USERS:-1000000}
MEAN=${MEAN:-5}
MAX_PER_USER=${MAX_PER_USER:-2000}
OUT=${OUT:-/tmp/llmrec-million}
REDIS_PORT=${REDIS_PORT:-6391}
HTTP=${HTTP:-http://127.0.0.1:5081}
SILO_PORT=${SILO_PORT:-11201}
GATEWAY_PORT=${GATEWAY_PORT:-30201}
IDLE=${IDLE:-00:02:00}
DEACTIVATION_WAIT=${DEACTIVATION_WAIT:-300}
SETTLE=${SETTLE:-30}
ITEMS=40000
mkdir -p "$OUT"
export PATH="$PATH:$HOME/.dotnet/tools"
cli() { dotnet "$OUT/cli/llmrec.dll" "$@"; }
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
info() { rcli info "$1" | tr -d '\r' | grep "^$2:" | cut -d: -f2; }
rss_kb() { grep VmRSS "/proc/$1/status" | awk '{print $2}'; }
# Live managed heap bytes (a full GC first) from a heap dump; the type table goes to $OUT/$1.gcdump.txt.
heap_bytes() {
  [[ -z "${GCDUMP:-}" ]] && { echo 0; return; }
  dotnet-gcdump collect -p "$SILO_PID" -o "$OUT/$1.gcdump" > /dev/null
  dotnet-gcdump report "$OUT/$1.gcdump" > "$OUT/$1.gcdump.txt"
  awk '/GC Heap bytes/ { gsub(",", "", $1); print $1; exit }' "$OUT/$1.gcdump.txt"
}
# User grains active now: created minus destroyed (Orleans' catalog counters).
active_users() {
  curl -sf "$HTTP/metrics" | awk '/^orleans_catalog_activation_(created|destroyed)_total.*grain_type="user"/ { if ($1 ~ /created/) c += $2; else d += $2 } END { print c - d }'
}

if [[ ! -f "$OUT/silo/Orleans.LlmRec.Silo.dll" || -n "${REBUILD:-}" ]]; then
  dotnet publish "$ROOT/src/Orleans.LlmRec.Silo" -c Release -o "$OUT/silo" -v quiet
  dotnet publish "$ROOT/src/Orleans.LlmRec.Cli" -c Release -o "$OUT/cli" -v quiet
  dotnet publish "$ROOT/bench/Orleans.LlmRec.LoadGenerator" -c Release -o "$OUT/load" -v quiet
fi
if [[ ! -f "$OUT/model/manifest.json" ]]; then
  # Enough clicks that every item appears (the catalogue holds the items its data set names).
  cli data synth --shape clicks --users 50000 --items $ITEMS --interactions 2000000 --seed 7 --out "$OUT/catalogue"
  cli train --data "$OUT/catalogue/ratings.csv" --format csv --model bpr --epochs 3 --out "$OUT/model"
fi
echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); USERS=$USERS MEAN=$MEAN MAX_PER_USER=$MAX_PER_USER"
started=$(date +%s.%N)
cli data synth --shape clicks --users "$USERS" --items $ITEMS --interactions $((USERS * MEAN)) --min-per-user 1 \
  --max-per-user "$MAX_PER_USER" --out "$OUT/users-$USERS"
echo "synth: $(echo "$(date +%s.%N) - $started" | bc) s"

REDIS_PID=""
SILO_PID=""
stop() {
  [[ -n "$SILO_PID" ]] && kill "$SILO_PID" 2>/dev/null && wait "$SILO_PID" 2>/dev/null || true
  [[ -n "$REDIS_PID" ]] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null || true
}
trap stop EXIT
rm -rf "$OUT/redis" && mkdir -p "$OUT/redis"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --appendonly yes --appendfsync everysec --save "" \
  --auto-aof-rewrite-percentage 0 --dir "$OUT/redis" > "$OUT/redis.log" 2>&1 &
REDIS_PID=$!
sleep 0.5

# The events go into a side stream first (timed: the replay side), then are swapped in while the silo consumes.
started=$(date +%s.%N)
cli replay --data "$OUT/users-$USERS/ratings.csv" --format csv --type click --rate 0 \
  --target "redis://127.0.0.1:$REDIS_PORT" --stream llmrec:events:prefill | tail -n 12
echo "replay into the stream: $(echo "$(date +%s.%N) - $started" | bc) s"
EVENTS=$(rcli xlen llmrec:events:prefill)

dotnet "$OUT/silo/Orleans.LlmRec.Silo.dll" --urls "$HTTP" \
  --Silo:Clustering=Redis --Silo:Storage=Redis --Silo:RedisConnectionString=127.0.0.1:$REDIS_PORT \
  --Silo:AdvertisedAddress=127.0.0.1 --Silo:SiloPort=$SILO_PORT --Silo:GatewayPort=$GATEWAY_PORT \
  --Silo:IdleDeactivation="$IDLE" --Catalogue:DatasetPath="$OUT/catalogue/ratings.csv" --Catalogue:Format=csv \
  --Catalogue:TrainingHistoryPerUser=0 --Model:Directory="$OUT/model" \
  --EventStream:Enabled=true --Logging:LogLevel:Default=Warning \
  --Logging:LogLevel:Orleans.LlmRec.Silo.Memory=Information ${SILO_ARGS:-} > "$OUT/silo.log" 2>&1 &
SILO_PID=$!
for _ in $(seq 1 240); do curl -sf "$HTTP/health" > /dev/null && break; sleep 0.5; done
sleep 2
rss0=$(rss_kb "$SILO_PID")
mem0=$(info memory used_memory)
aof0=$(info persistence aof_current_size)
net0=$(info stats total_net_input_bytes)
stream_bytes=$(rcli memory usage llmrec:events:prefill samples 0)
heap0=$(heap_bytes baseline)

dotnet "$OUT/load/llmrec-load.dll" drain --redis "127.0.0.1:$REDIS_PORT" --from llmrec:events:prefill
# The drain command gives up after 10 minutes (a loaded machine): wait here until the group has nothing left either.
drained() { rcli xinfo groups llmrec:events | awk 'p == "pending" || p == "lag" { if ($1 != "0") busy = 1 } { p = $1 } END { exit busy }'; }
extra=0
until drained || (( extra >= 1800 )); do sleep 5; extra=$((extra + 5)); done
(( extra > 0 )) && echo "drained ${extra}s after the drain command returned"
rss1=$(rss_kb "$SILO_PID")
mem1=$(info memory used_memory)
aof1=$(info persistence aof_current_size)
net1=$(info stats total_net_input_bytes)
left=$(rcli memory usage llmrec:events samples 0 || echo 0)
activations=$(active_users)
keys=$(rcli dbsize)
heap1=$(heap_bytes drained)

per_user=$(( (mem1 - ${left:-0} - (mem0 - stream_bytes)) / USERS ))
echo "events $EVENTS, users $USERS, Redis keys $keys, active user grains $activations"
echo "Redis used_memory: $mem0 -> $mem1 bytes (stream $stream_bytes before, ${left:-0} left); per user $per_user bytes"
echo "Redis AOF: $aof0 -> $aof1 bytes; $(( (aof1 - aof0) / EVENTS )) bytes per event while consuming (state writes, acks, group bookkeeping)"
echo "Redis bytes received while consuming: $(( (net1 - net0) / EVENTS )) per event"
echo "silo RSS: $((rss0 / 1024)) MB -> $((rss1 / 1024)) MB; $(( (rss1 - rss0) * 1024 / (activations > 0 ? activations : 1) )) bytes per active user grain (RSS, GC slack included)"
[[ -n "${GCDUMP:-}" ]] && echo "silo live managed heap: $((heap0 / 1024 / 1024)) MB -> $((heap1 / 1024 / 1024)) MB; $(( (heap1 - heap0) / (activations > 0 ? activations : 1) )) bytes per active user grain (heap dump; top types in $OUT/drained.gcdump.txt)"
if [[ "$DEACTIVATION_WAIT" -gt 0 ]]; then
  # Orleans collects idle activations every collection quantum (half of IDLE when that is under a minute, else one
  # minute): poll the activation count until none are left (or DEACTIVATION_WAIT runs out), then read RSS when the
  # collection ended, SETTLE seconds later (what the GC gave back by itself), and after one full blocking GC forced
  # from outside (a dotnet-gcdump heap dump, which also says what stays live), and SETTLE seconds after that.
  began=""; ended=""; peak=$rss1; start=$SECONDS; shown=0
  while (( SECONDS - start < DEACTIVATION_WAIT )); do
    sleep 5; waited=$((SECONDS - start))
    now=$(active_users); r=$(rss_kb "$SILO_PID"); (( r > peak )) && peak=$r
    [[ -z "$began" && "$now" -lt "$activations" ]] && began=$waited
    (( waited >= shown + 60 )) && { shown=$waited; echo "  ${waited}s after the drain: $now active user grains, RSS $((r / 1024)) MB"; }
    [[ "$now" -le 0 ]] && { ended=$waited; break; }
  done
  rss2=$(rss_kb "$SILO_PID")
  if [[ -n "$ended" ]]; then done_at="all $activations gone at ${ended}s"; else done_at="not done after ${DEACTIVATION_WAIT}s: $(active_users) left"; fi
  echo "idle collection (Silo:IdleDeactivation=$IDLE): began ${began:-?}s after the drain, $done_at; peak RSS $((peak / 1024)) MB"
  sleep "$SETTLE"
  rss3=$(rss_kb "$SILO_PID")
  line="silo RSS: baseline $((rss0 / 1024)) MB, drained $((rss1 / 1024)) MB, collection done $((rss2 / 1024)) MB, +${SETTLE}s $((rss3 / 1024)) MB"
  if command -v dotnet-gcdump > /dev/null; then
    heap2=$(GCDUMP=1 heap_bytes idle)
    rss4=$(rss_kb "$SILO_PID"); sleep "$SETTLE"; rss5=$(rss_kb "$SILO_PID")
    line="$line, after a full GC $((rss4 / 1024)) MB, +${SETTLE}s $((rss5 / 1024)) MB; live managed heap $((heap2 / 1024 / 1024)) MB (types: $OUT/idle.gcdump.txt)"
  fi
  echo "$line"
  grep -h "compacted the heap" "$OUT/silo.log" | sed 's/^/  silo: /' || true
fi
