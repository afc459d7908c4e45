#!/usr/bin/env bash
# Debian packages duban needs beside PyPI: a CJK font (pages and PDFs draw Chinese),
# HarfBuzz's subsetter (fast PDF output), and for the test suite Chromium (browser tests)
# and poppler-utils, plus LibreOffice Writer (old .doc/.wps uploads; in production it is
# optional: without it such a file gets a message naming the package). Installs what is
# missing when run as root with apt-get; otherwise prints the command to run and fails.
#   scripts/system-deps.sh demo   -> what `make demo` needs
#   scripts/system-deps.sh test   -> what `make test` needs
#   scripts/system-deps.sh bench  -> also a 宋 and a 楷 font for benchmarks/ocr_bench.py
set -euo pipefail
want=()
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || want+=(fonts-wqy-microhei)
ls /usr/lib/*/libharfbuzz-subset.so.0 >/dev/null 2>&1 || want+=(libharfbuzz-subset0)
if [ "${1:-demo}" = "test" ]; then
  [ -x /usr/bin/chromium ] || want+=(chromium)
  command -v pdftoppm >/dev/null || want+=(poppler-utils)
  # .doc/.wps uploads are converted by LibreOffice (about 85 MB download, under a minute)
  command -v soffice >/dev/null || command -v libreoffice >/dev/null || want+=(libreoffice-writer-nogui)
fi
if [ "${1:-demo}" = "bench" ]; then
  [ -f /usr/share/fonts/truetype/arphic/uming.ttc ] || want+=(fonts-arphic-uming)
  [ -f /usr/share/fonts/truetype/arphic/ukai.ttc ] || want+=(fonts-arphic-ukai)
fi
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing from Debian: ${want[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
else
  echo "duban needs these Debian packages: sudo apt-get install ${want[*]}" >&2
  exit 1
fi
