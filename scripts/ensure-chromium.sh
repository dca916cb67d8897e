#!/bin/sh
# Make sure Debian's Chromium is at /usr/bin/chromium for the browser tests (idempotent).
# The tests drive it with Playwright's Python package; `playwright install` is never
# used (it downloads a browser build, which this project's machines cannot fetch).
# Not root, or no apt: say what to install and succeed; the browser tests then skip
# locally, and fail in CI (RENDEZVOUS_REQUIRE_BROWSER=1).
CHROMIUM=${RENDEZVOUS_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests (apt-get)..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null && [ -x "$CHROMIUM" ] && exit 0
    echo "apt-get could not install chromium." >&2
else
    echo "The browser tests need Chromium at $CHROMIUM: install it with 'sudo apt-get install chromium'" >&2
    echo "(or point RENDEZVOUS_CHROMIUM at one). Until then they are skipped." >&2
fi
[ -n "${RENDEZVOUS_REQUIRE_BROWSER:-}" ] && exit 1
exit 0
