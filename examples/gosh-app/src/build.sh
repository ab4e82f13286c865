#!/usr/local/bin/bash
# The "build": a greeting made from the sources, and a checksum list of them.
set -eu
mkdir -p /app/out
cd /app/src
printf 'Hello from %s, built from GOSH with no network.\n' "$(cat name.txt)" > /app/out/greeting.txt
sha256sum -b build.sh name.txt > /app/out/SHA256SUMS
