#!/usr/bin/env bash
# docs-img.sh: makes the README's pictures (docs/img) from the shipped
# scenarios, so that the README never shows a stale run.
#
#   scripts/docs-img.sh                 run the scenarios, write docs/img
#                                       (the replay screenshots need chromium)
#   scripts/docs-img.sh --check         the same into a scratch folder; fail
#                                       if any picture differs from docs/img
#   scripts/docs-img.sh --from DIR ...  take the runs from DIR/<scenario>/
#                                       (p2psim run --out DIR/<scenario>)
#                                       and the study from DIR/study/
#                                       instead of running them again
#
# The plots are deterministic: the same scenario, seed and code give the same
# bytes. docs/img/mass-failure-study.png is the study at 1,000 nodes, on one
# LAN and on ten LANs of 100 (18 runs, about 12 CPU-seconds):
#   p2psim study mass-failure --nodes 1000 --lan 1000,100 --out DIR/study
# (.ci/run runs it so before it calls --check --from; STUDY_ARGS below).
#
# The replay screenshots (docs/img/replay-*.png) are taken of the run's
# replay.html in headless chromium (go run ./viz/replay/cmd/screenshot).
# Software WebGL need not draw the same bytes on every machine, so each has
# beside it a .source file: the settings of the page and the sha256 of the
# replay.html and replay-data.js it was drawn from. --check compares those
# (it needs no chromium): a stale one means run this script and commit.
set -euo pipefail
cd "$(dirname "$0")/.."

# The study the README's picture shows (.ci/run runs the same).
STUDY_ARGS="--nodes 1000 --lan 1000,100"

check=false
from=""
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=true ;;
    --from) from="$2"; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "docs-img.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# picture in docs/img <- scenario and the file of its run (WORST: the picture
# of its worst broadcast, as index.html names it)
pictures=(
  "quickstart-topology.png            quickstart        topology-end.png"
  "quickstart-redundancy.png          quickstart        redundancy.png"
  "mass-failure-topology.png          mass-failure      topology-just-after-failure.png"
  "mass-failure-timeseries.png        mass-failure      timeseries.png"
  "partition-heal-topology.png        partition-heal    topology-during-partition.png"
  "segments-topology.png              segments          topology-end.png"
  "churn-broadcast.png                churn             WORST"
  "flood-single-1000-redundancy.png   flood-single-1000 redundancy.png"
  "tree-single-1000-redundancy.png    tree-single-1000  redundancy.png"
  "tree-burst-100-topology.png        tree-burst-100    topology-end.png"
  "mass-failure-study.png             study             mass-failure.png"
)

# screenshot in docs/img <- scenario and the page's settings (the flags of
# viz/replay/cmd/screenshot): mass-failure half a second after its kill
# (the time read from the run's report, so it follows the scenario), and its
# last broadcast halfway through its spread.
replays=(
  "replay-mass-failure.png            mass-failure      --at kill+500ms"
  "replay-mass-failure-broadcast.png  mass-failure      --broadcast last --spread 0.5"
)

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
if [ -z "$from" ]; then
  from="$scratch/runs"
  go build -o "$scratch/p2psim" ./cmd/p2psim
  for scenario in $(printf '%s\n' "${pictures[@]}" "${replays[@]}" | awk '{print $2}' | sort -u); do
    if [ "$scenario" = study ]; then
      # shellcheck disable=SC2086 # STUDY_ARGS is a list of flags
      run=("$scratch/p2psim" study mass-failure $STUDY_ARGS --out "$from/study")
    else
      run=("$scratch/p2psim" run "scenarios/$scenario.yaml" --out "$from/$scenario" --quiet)
    fi
    if ! "${run[@]}" >"$scratch/log" 2>&1; then
      cat "$scratch/log" >&2
      exit 1
    fi
  done
fi

out=docs/img
if $check; then
  out="$scratch/img"
fi
mkdir -p "$out"
for line in "${pictures[@]}"; do
  read -r picture scenario file <<<"$line"
  if [ "$file" = WORST ]; then
    file=$(grep -E '<b>[^<]*\(([^)]*, )?worst[,)]' "$from/$scenario/index.html" | grep -oE 'href="broadcast-[^"]*\.png"' | head -1 | cut -d'"' -f2 || true)
  fi
  if [ -z "$file" ] || [ ! -f "$from/$scenario/$file" ]; then
    if [ "$scenario" = study ]; then
      echo "docs-img.sh: $from/study/$file is missing (run p2psim study mass-failure $STUDY_ARGS --out $from/study)" >&2
    else
      echo "docs-img.sh: $from/$scenario/$file is missing (has $scenario been run with pictures?)" >&2
    fi
    exit 1
  fi
  cp "$from/$scenario/$file" "$out/$picture"
done

if ! $check; then
  go build -o "$scratch/screenshot" ./viz/replay/cmd/screenshot
fi
for line in "${replays[@]}"; do
  read -r picture scenario settings <<<"$line"
  for file in replay.html replay-data.js; do
    if [ ! -f "$from/$scenario/$file" ]; then
      echo "docs-img.sh: $from/$scenario/$file is missing (has $scenario been run with pictures?)" >&2
      exit 1
    fi
  done
  {
    echo "# docs/img/$picture: scripts/docs-img.sh took it in chromium of the replay of"
    echo "# scenarios/$scenario.yaml with these settings; --check compares this file."
    echo "settings: $settings"
    (cd "$from/$scenario" && sha256sum replay.html replay-data.js)
  } >"$out/${picture%.png}.source"
  if ! $check; then
    # shellcheck disable=SC2086 # settings is a list of flags
    "$scratch/screenshot" $settings "$from/$scenario" "$out/$picture"
  fi
done

if $check; then
  stale=0
  for line in "${pictures[@]}"; do
    read -r picture _ _ <<<"$line"
    if ! cmp -s "$out/$picture" "docs/img/$picture"; then
      echo "docs/img/$picture differs from a fresh run: run scripts/docs-img.sh and commit docs/img" >&2
      stale=1
    fi
  done
  for line in "${replays[@]}"; do
    read -r picture _ _ <<<"$line"
    source="${picture%.png}.source"
    if ! cmp -s "$out/$source" "docs/img/$source"; then
      echo "docs/img/$picture was drawn from another page or run than a fresh one (docs/img/$source differs): run scripts/docs-img.sh (it needs chromium) and commit docs/img" >&2
      stale=1
    fi
  done
  exit $stale
fi
echo "docs/img: ${#pictures[@]} pictures and ${#replays[@]} replay screenshots written"
