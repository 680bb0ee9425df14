#!/usr/bin/env bash
# The 复盘 PDF is printed by WeasyPrint, which needs Debian's Pango, and its Chinese text and
# charts need a CJK font (Noto Sans CJK). Install them when we may; otherwise say what is missing.
set -euo pipefail
missing=()
libraries="$(ldconfig -p 2>/dev/null || true)"
fonts="$(fc-list 2>/dev/null || true)"
grep -q "libpango-1.0.so" <<<"$libraries" || missing+=(libpango-1.0-0)
grep -q "libpangoft2-1.0.so" <<<"$libraries" || missing+=(libpangoft2-1.0-0)
grep -qi "Noto Sans CJK" <<<"$fonts" || missing+=(fonts-noto-cjk)
if [ "${#missing[@]}" = "0" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]} for the PDF report…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" fontconfig >/dev/null
else
  echo "warning: ${missing[*]} missing and not root; the PDF report tests will fail" >&2
fi
