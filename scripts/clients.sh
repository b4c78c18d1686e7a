#!/bin/sh
# clients.sh - install the official clients the tests drive the public API
# with (tests/clients/package.json, versions pinned by its package-lock.json)
# into tests/clients/node_modules, only when missing or not the pinned one.
# Needs Node.js and npm: Debian's nodejs and npm are installed when there is
# no node at all. Nothing is installed outside tests/clients/.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$ROOT/tests/clients

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	if [ "$(id -u)" != 0 ]; then
		echo "clients: Node.js and npm are missing (sudo apt-get install nodejs npm)" >&2
		exit 1
	fi
	echo "clients: installing nodejs npm"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm \
		|| { apt-get update -q && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends nodejs npm; }
fi

want=$(sed -n 's/^ *"openai": "\([^"]*\)".*/\1/p' "$DIR/package.json" | head -1)
have=$(sed -n 's/^ *"version": "\([^"]*\)".*/\1/p' \
	"$DIR/node_modules/openai/package.json" 2>/dev/null | head -1 || true)
[ -n "$want" ] && [ "$want" = "$have" ] && exit 0

echo "clients: npm ci in tests/clients (openai $want)"
cd "$DIR"
npm ci --no-audit --no-fund --loglevel=error
