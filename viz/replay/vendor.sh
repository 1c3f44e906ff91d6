#!/usr/bin/env bash
# Vendors the browser libraries of the replay page (replay.html) into
# viz/replay/vendor/: pinned versions from npm, their minified builds and
# their licences. The Go package embeds them (go:embed), so p2psim needs no
# network and the page none either. Run it again after changing a version;
# commit what it writes.
set -euo pipefail
cd "$(dirname "$0")"
# sigma 4.0.4 draws every node over the whole canvas in headless Chromium
# (SwiftShader WebGL); 3.0.3 draws correctly.
SIGMA=sigma@3.0.3
GRAPHOLOGY=graphology@0.26.0
UPLOT=uplot@1.6.32

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$SIGMA" "$GRAPHOLOGY" "$UPLOT" >/dev/null)
for f in "$tmp"/*.tgz; do
  d="$tmp/$(basename "$f" .tgz)"
  mkdir -p "$d" && tar xzf "$f" -C "$d"
done
out=vendor
rm -rf "$out" && mkdir -p "$out"
cp "$tmp"/sigma-*/package/dist/sigma.min.js "$out/sigma.min.js"
cp "$tmp"/sigma-*/package/LICENSE.txt "$out/LICENSE-sigma.txt"
cp "$tmp"/graphology-*/package/dist/graphology.umd.min.js "$out/graphology.umd.min.js"
cp "$tmp"/graphology-*/package/LICENSE.txt "$out/LICENSE-graphology.txt"
cp "$tmp"/uplot-*/package/dist/uPlot.iife.min.js "$out/uPlot.iife.min.js"
cp "$tmp"/uplot-*/package/dist/uPlot.min.css "$out/uPlot.min.css"
cp "$tmp"/uplot-*/package/LICENSE "$out/LICENSE-uplot.txt"
cat > "$out/VERSIONS" <<VERS
$SIGMA
$GRAPHOLOGY
$UPLOT
VERS
echo "vendored into $(pwd)/$out:"; ls -l "$out"
