#!/usr/bin/env bash
# The image's HEALTHCHECK: GET PATH (default /health/ready) from the bazaar
# process in this container, on the port of BAZAAR_OPS_ADDR (`workers`,
# `relay`) or else of BAZAAR_HTTP_ADDR (`serve`, `api`), over loopback. Exits 0 on HTTP 200 only. Uses bash's /dev/tcp, so the runtime
# image needs no HTTP client; the container runtime's timeout bounds it.
set -euo pipefail
addr=${BAZAAR_OPS_ADDR:-${BAZAAR_HTTP_ADDR:-127.0.0.1:8080}}
port=${addr##*:}
path=${1:-/health/ready}
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET %s HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path" >&3
IFS=' ' read -r _ status _ <&3
[ "$status" = 200 ]
