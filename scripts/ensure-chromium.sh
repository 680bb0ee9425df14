#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (no browser download): install it when we may.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium and CJK fonts for the browser tests…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
else
  echo "warning: /usr/bin/chromium missing and not root; browser tests will be skipped" >&2
fi
