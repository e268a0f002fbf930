#!/bin/sh
# Installs the Debian packages the tests use for real (PostgreSQL server, Chromium) when
# missing. Without root or apt the tests that need them skip and say why.
missing=""
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages:$missing"
    apt-get update -qq >/dev/null && \
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null \
        || echo "warning: could not install$missing; the tests that need them will skip"
else
    echo "warning: not root or no apt-get; tests needing$missing will skip"
fi
exit 0
