#!/bin/sh
# deps.sh — install the Debian packages the project needs, only those missing.
# Refreshes the package lists first when they are empty (fresh machine).
# Never starts the distribution's own services: the project runs its own.
# clang, libclang-rt-14-dev (libFuzzer) and llvm (llvm-symbolizer, for
# readable sanitizer reports) build and run the fuzz harnesses; chromium,
# python3-websocket and a font run the browser tests (make browser).
set -eu

PKGS="build-essential pkg-config libfcgi-dev libfcgi-bin libmariadb-dev
mariadb-server mariadb-client lighttpd apache2 libcurl4-openssl-dev
libjson-c-dev libssl-dev libargon2-dev libcmocka-dev wrk curl python3
ca-certificates clang libclang-rt-14-dev llvm chromium python3-websocket
fonts-dejavu-core"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run as root (or: sudo apt-get install$missing)" >&2
	exit 1
fi

echo "deps: installing$missing"
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' 2>/dev/null | head -1)" ]; then
	apt-get update -q
fi

# Keep dpkg from starting mariadb/lighttpd/apache2 system services.
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	created_policy=1
fi
trap '[ $created_policy = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT

DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
	|| { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing; }
