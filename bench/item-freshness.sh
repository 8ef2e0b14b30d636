#!/usr/bin/env bash
# Live catalogue (issue 12): time from PUT /v1/items/{id} to the item appearing in a matching user's feed, p50/p99,
# one silo (bench/serving.sh's setup: Redis clustering, storage, catalogue log). Each round publishes an item with the
# tags of a random user's top feed item, reads that user's feed until it holds the item, then retires it.
#   bench/item-freshness.sh /path/to/ml-latest-small        (~1 min after the build; same OUT/ports knobs as serving.sh)
set -euo pipefail
exec "$(dirname "$0")/serving.sh" "${1:?usage: bench/item-freshness.sh /path/to/ml-latest-small}" items
