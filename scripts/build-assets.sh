#!/bin/sh
# Install the front-end libraries from the npm registry (package-lock.json) and copy
# what the pages serve into src/rendezvous/static/vendor/ (git-ignored).
set -e
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
    echo "npm is missing: Rendezvous installs htmx (and, for tests, axe-core) from the npm" >&2
    echo "registry at set-up. Install Node.js 20+ with npm (e.g. 'apt-get install nodejs npm')." >&2
    exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
VENDOR=src/rendezvous/static/vendor
mkdir -p "$VENDOR"
cp node_modules/htmx.org/dist/htmx.min.js "$VENDOR/htmx.min.js"
# ALTCHA's "external" build: styles in a file and workers we serve, for our strict CSP.
mkdir -p "$VENDOR/altcha"
cp node_modules/altcha/dist/external/altcha.min.js node_modules/altcha/dist/external/altcha.css \
    node_modules/altcha/dist/workers/pbkdf2.js node_modules/altcha/LICENSE.txt "$VENDOR/altcha/"
# EventCalendar's standalone bundle (all plugins) for the back office calendar.
mkdir -p "$VENDOR/event-calendar"
cp node_modules/@event-calendar/build/dist/event-calendar.min.js \
    node_modules/@event-calendar/build/dist/event-calendar.min.css "$VENDOR/event-calendar/"
