#!/bin/sh
# Rebuild the query page's editor bundle from the npm registry, with the exact versions of
# editor/package-lock.json: src/sundhedsgraf/pages/static/editor.bundle.js, its licences
# (editor.bundle.js.LICENSES.txt) and its SHA-256 (editor.bundle.js.sha256).
# Usage: scripts/build-editor.sh [OUTDIR]   (needs node and npm; the pages do not)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$here/src/sundhedsgraf/pages/static}" && cd "${1:-$here/src/sundhedsgraf/pages/static}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here"/editor/package.json "$here"/editor/package-lock.json "$here"/editor/entry.js \
   "$here"/editor/build.mjs "$work"/
cd "$work"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
node build.mjs "$out"
