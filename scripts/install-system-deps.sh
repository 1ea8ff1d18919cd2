#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing: Chromium (for
# Playwright), the PostgreSQL server (for the second run of the suite), DejaVu fonts (embedded in
# certificate PDFs), poppler-utils and zbar-tools (the tests render a PDF page and decode its QR code, and pdfsig
# checks the certificate PDFs' signatures), redis-server (the several-servers test runs once with Redis as the
# cache; tests/multiserver/).
# With CI=true a package that cannot be installed is an error; on a laptop it is a warning,
# and the tests that need it skip with a reason.
set -euo pipefail

need=()
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
{ command -v pdftoppm && command -v pdfsig; } >/dev/null || need+=(poppler-utils)
command -v zbarimg >/dev/null || need+=(zbar-tools)
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || need+=(redis-server)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing ${need[*]} with apt-get..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  exit 0
fi

msg="Missing system packages: ${need[*]} (install them with: sudo apt-get install ${need[*]})"
if [ "${CI:-}" = "true" ]; then
  echo "ERROR: $msg" >&2
  exit 1
fi
echo "WARNING: $msg; the tests that need them will skip." >&2
