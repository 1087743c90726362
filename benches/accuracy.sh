#!/usr/bin/env bash
# Scores dmqa against the truth files of real public repositories: one table for all.
# Fetches nothing. CORPUS_DIR holds one checkout per repository, named <owner>__<name> and
# checked out at the commit its truth file names (see ../shared/accuracy/README.md).
# usage: benches/accuracy.sh CORPUS_DIR [TRUTH_DIR]
#   DMQA=path/to/dmqa (default: target/release/dmqa, built if missing)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:?usage: benches/accuracy.sh CORPUS_DIR [TRUTH_DIR]}
truth=${2:-$here/../shared/accuracy/truth}
scorer=$(cd "$truth/.." && pwd)/aggregate.py
[ -f "$scorer" ] || { echo "no scorer at $scorer" >&2; exit 2; }
bin=${DMQA:-$here/target/release/dmqa}
[ -x "$bin" ] || (cd "$here" && cargo build --release --locked -q)
for t in "$truth"/*.toml; do
  repo=$(sed -n 's/^repo *= *"\(.*\)"/\1/p' "$t"); commit=$(sed -n 's/^commit *= *"\(.*\)"/\1/p' "$t")
  dir="$corpus/${repo/\//__}"
  if [ ! -d "$dir" ]; then echo "# missing checkout: $dir ($repo)" >&2; continue; fi
  head=$(git -C "$dir" rev-parse HEAD 2>/dev/null || echo "?")
  [ "$head" = "$commit" ] || echo "# $dir is at $head, its truth file names $commit" >&2
done
python3 "$scorer" "$corpus" "$truth" --bin "$bin"
