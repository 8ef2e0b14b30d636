#!/usr/bin/env bash
# Issue 11's "training at scale" table: every trainable model (popularity excluded) on synthetic click logs of
# 100k, 250k, 500k and 1M interactions (`llmrec data synth --shape clicks`, users and items scaled with the size
# from the 30,000 × 40,000 shape at 1M, so the density stays that of the paper's Gowalla) and on ml-latest-small.
# Per run: seconds per epoch, total training time to the reported accuracy, the process's peak memory (max RSS)
# and Recall/NDCG@20 on a held-out split (`--protocol user-stratified`: 75 % of each user's interactions train,
# the rest test); then, per model, the fitted exponent of time against interactions (log-log least squares over
# the synthetic sizes: 1 is linear).
#
# Usage: bench/training-scale.sh ML_LATEST_SMALL_DIR [OUT_DIR]
#   SIZES="100000 250000"          fewer or other sizes (a quick check)
#   MODELS="bpr lightgcn"          fewer models
#   BPR_EPOCHS=100 LIGHTGCN_EPOCHS=30 RATING_EPOCHS=40   epoch caps (see below)
#
# Epoch caps, so the whole table runs in about 25 minutes on 2 cores: BPR 100 epochs (its default is 600),
# LightGCN at most 30 epochs of early-stop search (validation every 5) and then a refit for the best count (its
# default allows 300), SVD and SVD++ their default 40. GF-CF has no epochs. The accuracy is the capped run's.
set -euo pipefail

small=${1:?usage: bench/training-scale.sh ML_LATEST_SMALL_DIR [OUT_DIR]}
out=${2:-/tmp/llmrec-training-scale}
sizes=${SIZES:-100000 250000 500000 1000000}
models=${MODELS:-bpr lightgcn svd svdpp gfcf}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out/data"

dotnet build "$root/src/Orleans.LlmRec.Cli/Orleans.LlmRec.Cli.csproj" -c Release -v quiet -nologo >/dev/null
llmrec=(dotnet "$root/src/Orleans.LlmRec.Cli/bin/Release/net10.0/llmrec.dll")

epochs_for() {
  case $1 in
    bpr) echo "--epochs ${BPR_EPOCHS:-100}" ;;
    lightgcn) echo "--epochs ${LIGHTGCN_EPOCHS:-30}" ;;
    svd | svdpp) echo "--epochs ${RATING_EPOCHS:-40}" ;;
    *) echo "" ;;
  esac
}

datasets=()
for n in $sizes; do
  d="$out/data/clicks-$n"
  if [ ! -f "$d/ratings.csv" ]; then
    "${llmrec[@]}" data synth --shape clicks --interactions "$n" --users $((30000 * n / 1000000)) \
      --items $((40000 * n / 1000000)) --seed 42 --out "$d" >/dev/null
  fi
  datasets+=("clicks-$n=$d")
done
datasets+=("ml-latest-small=$small")

echo "started $(date -u +%FT%TZ), load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores" | tee "$out/run.txt"
for entry in "${datasets[@]}"; do
  name=${entry%%=*}
  path=${entry#*=}
  for model in $models; do
    # shellcheck disable=SC2046
    /usr/bin/time -v -o "$out/time-$name-$model.txt" "${llmrec[@]}" eval --data "$path" --model "$model" \
      --protocol user-stratified --k 20 $(epochs_for "$model") --out "$out/eval-$name-$model.json" \
      >"$out/log-$name-$model.txt" 2>&1
    echo "$name $model done $(date -u +%T), load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out/run.txt"
  done
done
echo "finished $(date -u +%FT%TZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/run.txt"

python3 - "$out" "$models" "${datasets[@]}" <<'EOF'
import json, math, re, sys
out, models, entries = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
names = [e.split("=", 1)[0] for e in entries]

def run(name, model):
    record = json.load(open(f"{out}/eval-{name}-{model}.json"))[0]
    timing = open(f"{out}/time-{name}-{model}.txt").read()
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timing).group(1)) / 1024
    p = record["parameters"]
    epochs = p.get("lightgcn.epochs_run", p.get("epochs")) if model != "gfcf" else None
    seconds = record["trainingSeconds"]
    return dict(train=record["trainInteractions"], epochs=epochs, seconds=seconds,
                per_epoch=seconds / epochs if epochs else None, rss=rss,
                recall=record["metrics"]["recall@20"], ndcg=record["metrics"]["ndcg@20"],
                batch=p.get("batch_size"))

def slope(points):
    xs = [math.log(x) for x, _ in points]; ys = [math.log(y) for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else float("nan")

print("\n| model | data | train interactions | batch | epochs run | s per epoch | training s | peak RSS MB | Recall@20 | NDCG@20 |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
fits = {}
for model in models:
    points = []
    for name in names:
        try:
            r = run(name, model)
        except (OSError, IndexError, KeyError, AttributeError) as e:
            print(f"| {model} | {name} | (no result: {type(e).__name__}) |||||||")
            continue
        per = f"{r['per_epoch']:.2f}" if r["per_epoch"] else "—"
        print(f"| {model} | {name} | {r['train']:,} | {r['batch'] or '—'} | {r['epochs'] or '—'} | {per} | {r['seconds']:.1f} | {r['rss']:.0f} | {r['recall']:.4f} | {r['ndcg']:.4f} |")
        if name.startswith("clicks-"):
            points.append((r["train"], r["per_epoch"] or r["seconds"]))
    if len(points) >= 2:
        fits[model] = slope(points)
print("\nFitted exponent of time against interactions (s per epoch; GF-CF: training s), synthetic sizes:")
for model, b in fits.items():
    print(f"- {model}: {b:.2f}")
EOF
