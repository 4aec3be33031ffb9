#!/bin/sh
# Make sure Debian's Chromium is installed for the end-to-end browser test (tests/test_browser.py).
# Idempotent and quiet: does nothing when chromium is already there. Never fails the build: when
# apt-get (or root) is unavailable it says so and exits 0, and the browser test then skips with
# the reason. Playwright's own browser downloads are never used.
set -u

if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: chromium not found and apt-get is unavailable;" \
         "the browser test will be skipped (install Chromium, or set SLT_SIM_CHROMIUM)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
        SUDO="sudo -n"
    else
        echo "ensure_chromium: chromium not found and installing it needs root;" \
             "run 'sudo apt-get install chromium' (the browser test skips until then)"
        exit 0
    fi
fi
echo "ensure_chromium: installing Debian's chromium with apt-get (one time)"
if $SUDO apt-get update -qq >/dev/null 2>&1 \
   && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        chromium >/dev/null 2>&1; then
    echo "ensure_chromium: $(/usr/bin/chromium --version 2>/dev/null || echo installed)"
else
    echo "ensure_chromium: 'apt-get install chromium' failed; the browser test will be skipped"
fi
exit 0
