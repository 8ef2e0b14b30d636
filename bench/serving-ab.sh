#!/usr/bin/env bash
# Interleaved A/B of the serving benchmarks (bench/serving.sh) between two checkouts of this repository: each round
# runs the same scenarios on build A, then on build B, so both see the same machine. On a shared VM whose speed
# drifts between runs this is the only fair way to say whether a change moved a figure.
#
#   bench/serving-ab.sh /path/to/checkout-A /path/to/checkout-B /path/to/ml-latest-small [scenario ...]
#   ROUNDS=3 (default 2); each build publishes into /tmp/llmrec-ab-A or -B (REBUILD=1 to publish again; AB_OUT=/tmp/x
#   publishes into /tmp/x-A and -B instead, and REDIS_PORT/HTTP/SILO_PORT/GATEWAY_PORT move the ports, to run beside another A/B)
#   ENV_A / ENV_B: environment for each side's serving.sh, e.g. the cost of access control and rate limits, one build:
#   ENV_B="AUTH=1" bench/serving-ab.sh . . /path/to/ml-latest-small feed
set -euo pipefail

A=${1:?usage: bench/serving-ab.sh CHECKOUT_A CHECKOUT_B DATA [scenario ...]}
B=${2:?usage: bench/serving-ab.sh CHECKOUT_A CHECKOUT_B DATA [scenario ...]}
DATA=${3:?usage: bench/serving-ab.sh CHECKOUT_A CHECKOUT_B DATA [scenario ...]}
shift 3
SCENARIOS=${*:-feed fresh ingest-http ingest-redis}

for round in $(seq 1 "${ROUNDS:-2}"); do
  for build in A B; do
    tree=$A
    [[ $build == B ]] && tree=$B
    echo "######## round $round, build $build ($tree), $(date -u +%T)"
    # Each build's own serving.sh, so a build whose settings were renamed starts with its own keys.
    side_env=${ENV_A:-}
    [[ $build == B ]] && side_env=${ENV_B:-}
    echo "######## environment: ${side_env:-(none)}"
    env $side_env OUT=${AB_OUT:-/tmp/llmrec-ab}-$build bash "$tree/bench/serving.sh" "$DATA" $SCENARIOS
  done
done
