#!/usr/bin/env bash
# Re-vendors the pinned swagger-ui-dist bundle that /docs serves from the binary (no CDN at run time).
set -euo pipefail
version=${1:-5.35.0}
dir=$(cd "$(dirname "$0")" && pwd)/swaggerui
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "swagger-ui-dist@$version" >/dev/null && tar xzf swagger-ui-dist-*.tgz)
for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui-standalone-preset.js \
  swagger-ui-standalone-preset.js.LICENSE.txt swagger-ui.css favicon-32x32.png LICENSE NOTICE; do
  cp "$tmp/package/$f" "$dir/"
done
echo "swagger-ui-dist $version (npm), Apache-2.0. Refresh with api/update-swaggerui.sh." >"$dir/VERSION"
