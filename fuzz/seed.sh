#!/usr/bin/env bash
# Seeds each fuzz target's corpus from the fixtures (files we wrote), so the
# fuzzer starts from real shapes: `fuzz/seed.sh`, then `cargo fuzz run …`.
set -euo pipefail
cd "$(dirname "$0")"
fixtures=../fixtures
for t in sql typescript wrangler; do mkdir -p "corpus/$t"; done
i=0
while IFS= read -r -d '' f; do
  i=$((i + 1))
  # The first byte picks the mode: 0 migration, 1 loose SQL, 2 query text.
  for mode in 0 1 2; do
    { printf "\\x0$mode"; head -c 16384 "$f"; } > "corpus/sql/${mode}_$i"
  done
done < <(find "$fixtures" -name '*.sql' -print0 | sort -z)
i=0
while IFS= read -r -d '' f; do
  i=$((i + 1)); head -c 32768 "$f" > "corpus/typescript/$i"
done < <(find "$fixtures" \( -name '*.ts' -o -name '*.js' \) -print0 | sort -z)
i=0
while IFS= read -r -d '' f; do
  i=$((i + 1))
  case "$f" in *.toml) mode=0 ;; *) mode=1 ;; esac
  { printf "\\x0$mode"; cat "$f"; } > "corpus/wrangler/$i"
done < <(find "$fixtures" -name 'wrangler.*' -print0 | sort -z)
echo "seeded: $(ls corpus/sql | wc -l) sql, $(ls corpus/typescript | wc -l) typescript, $(ls corpus/wrangler | wc -l) wrangler"
