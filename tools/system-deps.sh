#!/usr/bin/env bash
# System packages the tests use: nats-server (a real broker per suite), GDAL + rasterio (the
# correctness oracle) and Chromium (browser tests). The product itself needs none of them.
# Installs only what is missing; needs root and Debian's apt. `npm test` runs it first (tools/run-tests.ts).
set -euo pipefail
need=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
command -v gdalwarp >/dev/null 2>&1 || need+=(gdal-bin)
/usr/bin/python3 -c 'import rasterio, numpy' >/dev/null 2>&1 || need+=(python3-rasterio python3-numpy)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then
  echo "system-deps: all present"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${need[*]}: install them with apt-get (as root)" >&2
  exit 1
fi
echo "system-deps: installing ${need[*]}"
log=$(mktemp)
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
  echo "system-deps: apt-get could not install ${need[*]} ($(tail -n 1 "$log")); run: apt-get update && apt-get install -y ${need[*]}" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
