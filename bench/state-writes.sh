#!/usr/bin/env bash
# "A million users" in bench/RESULTS.md, the state part: what a user's state costs in Redis (used_memory and MEMORY
# USAGE per user of 10, 100 and 2,000 events) and what storing events writes at steady state (AOF bytes per event for
# users whose histories are already full, one event per request and coalesced batches). One silo with Redis grain
# storage (AOF everysec), events over HTTP (llmrec replay), so the AOF holds only state writes (no stream bookkeeping).
#
#   bench/state-writes.sh                  ~2 min on a quiet 2-core VM (publishes first when $OUT has no build)
#   SRC=/path/to/other/checkout OUT=/tmp/llmrec-state-writes-main bench/state-writes.sh    the same for another tree
#   OUT, REDIS_PORT, HTTP, SILO_PORT, GATEWAY_PORT, LIGHT/TYPICAL/HEAVY (users of 10/100/2,000 events), STEADY (events per heavy user after)
#   CATALOGUE (a directory holding catalogue/ratings.csv and model/, e.g. bench/million-users.sh's /tmp/llmrec-million)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=${SRC:-$ROOT}
OUT=${OUT:-/tmp/llmrec-state-writes}
CATALOGUE=${CATALOGUE:-/tmp/llmrec-million}
REDIS_PORT=${REDIS_PORT:-6393}
HTTP=${HTTP:-http://127.0.0.1:5083}
LIGHT=${LIGHT:-2000}
TYPICAL=${TYPICAL:-500}
HEAVY=${HEAVY:-50}
STEADY=${STEADY:-200}
ITEMS=40000
mkdir -p "$OUT"
cli() { dotnet "$OUT/cli/llmrec.dll" "$@"; }
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
info() { rcli info "$1" | tr -d '\r' | grep "^$2:" | cut -d: -f2; }
aof() { sleep 1.5; info persistence aof_current_size; }

if [[ ! -f "$OUT/silo/Orleans.LlmRec.Silo.dll" || -n "${REBUILD:-}" ]]; then
  dotnet publish "$SRC/src/Orleans.LlmRec.Silo" -c Release -o "$OUT/silo" -v quiet
  dotnet publish "$SRC/src/Orleans.LlmRec.Cli" -c Release -o "$OUT/cli" -v quiet
fi
if [[ ! -f "$CATALOGUE/model/manifest.json" ]]; then
  CATALOGUE=$OUT
  cli data synth --shape clicks --users 50000 --items $ITEMS --interactions 2000000 --seed 7 --out "$OUT/catalogue"
  cli train --data "$OUT/catalogue/ratings.csv" --format csv --model bpr --epochs 3 --out "$OUT/model"
fi
echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $SRC @ $(git -C "$SRC" rev-parse --short HEAD)"

# Users of each size, one event a minute each (distinct times: replay ids include them), items from the model's.
# steady.csv: STEADY more events for every heavy user (their histories and fingerprint windows already full).
awk -v items=$ITEMS -v light=$LIGHT -v typical=$TYPICAL -v heavy=$HEAVY -v steady=$STEADY -v dir="$OUT" 'BEGIN {
  srand(7); t0 = 1700000000
  for (f = 1; f <= 4; f++) print "user,item,rating,timestamp" > (dir "/" (f == 1 ? "light" : f == 2 ? "typical" : f == 3 ? "heavy" : "steady") ".csv")
  for (u = 1; u <= light; u++) for (i = 0; i < 10; i++) print "L" u "," 1 + int(rand() * items) ",1," t0 + i * 60 > (dir "/light.csv")
  for (u = 1; u <= typical; u++) for (i = 0; i < 100; i++) print "T" u "," 1 + int(rand() * items) ",1," t0 + i * 60 > (dir "/typical.csv")
  for (u = 1; u <= heavy; u++) for (i = 0; i < 2000; i++) print "H" u "," 1 + int(rand() * items) ",1," t0 + i * 60 > (dir "/heavy.csv")
  for (u = 1; u <= heavy; u++) for (i = 2000; i < 2000 + steady; i++) print "H" u "," 1 + int(rand() * items) ",1," t0 + i * 60 > (dir "/steady.csv")
}'
# The same events again, timed a day later (new ids): the coalesced steady phase.
awk -F, 'NR == 1 { print; next } { print $1 "," $2 "," $3 "," $4 + 86400 }' "$OUT/steady.csv" > "$OUT/steady2.csv"

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
dotnet "$OUT/silo/Orleans.LlmRec.Silo.dll" --urls "$HTTP" \
  --Silo:Storage=Redis --Silo:RedisConnectionString=127.0.0.1:$REDIS_PORT --Silo:SiloPort=${SILO_PORT:-11203} --Silo:GatewayPort=${GATEWAY_PORT:-30203} \
  --Silo:IdleDeactivation=00:20:00 --Catalogue:DatasetPath="$CATALOGUE/catalogue/ratings.csv" --Catalogue:Format=csv \
  --Catalogue:TrainingHistoryPerUser=0 --Model:Directory="$CATALOGUE/model" --Logging:LogLevel:Default=Warning > "$OUT/silo.log" 2>&1 &
SILO_PID=$!
for _ in $(seq 1 240); do curl -sf "$HTTP/health" > /dev/null && break; sleep 0.5; done

replay() { cli replay --data "$OUT/$1.csv" --format csv --type click --rate 0 --target "$HTTP" --batch "$2" --concurrency 4 > "$OUT/replay-$1.log"; }
# Sum of MEMORY USAGE of a user's keys, averaged over the first 20 users of a size.
memory_usage() {
  local total=0
  for u in $(seq 1 20); do
    # The activity log ({ServiceId}/al/{user}) and any Orleans grain state of the user ({ServiceId}/state/user/{user}/...).
    for key in $(rcli --scan --pattern "*/al/$1$u") $(rcli --scan --pattern "*/user/$1$u/*"); do total=$((total + $(rcli memory usage "$key" samples 0))); done
  done
  echo $((total / 20))
}
measure_fill() { # name prefix users events-per-user
  local mem0 aof0 mem1 aof1
  mem0=$(info memory used_memory); aof0=$(aof)
  replay "$1" 500
  mem1=$(info memory used_memory); aof1=$(aof)
  echo "$(printf '%5s' "$4") events/user ($3 users): used_memory $(( (mem1 - mem0) / $3 )) B/user, MEMORY USAGE $(memory_usage "$2") B/user, AOF $(( (aof1 - aof0) / ($3 * $4) )) B/event while filling"
}
measure_fill light L "$LIGHT" 10
measure_fill typical T "$TYPICAL" 100
measure_fill heavy H "$HEAVY" 2000
steady() { # name batch label
  local aof0 aof1 events
  aof0=$(aof)
  replay "$1" "$2"
  aof1=$(aof)
  events=$((HEAVY * STEADY))
  echo "steady state, $3: AOF $(( (aof1 - aof0) / events )) B/event ($events events to $HEAVY users with 2,000 already)"
}
steady steady 1 "one event per request"
steady steady2 500 "batches of 500 (about $((500 / HEAVY)) events per user per request)"
echo "keys $(rcli dbsize); AOF commands: $(cat "$OUT"/redis/appendonlydir/*.incr.aof 2>/dev/null | tr -d '\r' | grep -aA2 '^\*' | grep -aiE '^(append|set|hset|hmset|del|multi|exec|select)$' | sort | uniq -c | tr '\n' ' ')"
