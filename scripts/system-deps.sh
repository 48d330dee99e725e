#!/usr/bin/env bash
# Installs the system packages the project uses, from Debian's packages, only when they are missing:
# PostgreSQL 15 (the second warehouse and the serving store) and Chromium (browser tests of the docs and
# the Dagster UI). With the argument `spark` (make spark-deps, make test): also Java 17 for local Spark
# (Debian's openjdk-17-jre-headless). Needs root (CI runs as root); otherwise prints what to install and exits
# non-zero.
set -euo pipefail
missing=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ "${1:-}" = spark ]; then
    command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "system-deps: missing ${missing[*]}; run as root: apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
else
    SUDO=
fi
echo "system-deps: installing ${missing[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
