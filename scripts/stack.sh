#!/bin/bash
# stack.sh - run a private Prompt Manager stack (MariaDB, pm-fcgi, lighttpd
# and/or Apache) whose state lives in one directory, from any checkout.
#
# usage: scripts/stack.sh start|stop|run|status|db-start|db-stop --dir DIR
#            [--port P] [--server lighttpd|apache|both] [--apache-port P2]
#            [--workers N] [--set key=value ...]
#
#   db-start  initialise DIR/mysql on first use (database prompt_manager,
#             user pm with a random password in DIR/secrets/db_password),
#             then start mariadbd on DIR/run/mysqld.sock (a link into
#             the public directory; no TCP)
#   db-stop   shut MariaDB down
#   start     db-start, write DIR/app.conf, migrate, start pm-fcgi and the
#             web server(s) on 127.0.0.1, wait for /api/health
#   stop      stop everything that runs from DIR and remove its public
#             directory (idempotent)
#   run       start, then follow DIR/log/pm-fcgi.log; Ctrl-C stops all
#   status    print what runs
#
# Layout of DIR: app.conf lighttpd.conf apache.conf clock
#   run/  pid files, and links to the sockets and the public directory
#   log/  every log file            mysql/  MariaDB data
#   secrets/  db_password, api_key_secret, vault_key (0600)
#   mail/     what the local SMTP sink caught
# What the web servers' unprivileged processes reach lives in a public
# directory outside DIR (see "public directory" below).
#
# Everything listens on 127.0.0.1 or on unix sockets.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# STACK_PM_FCGI / STACK_PM_ADMIN: other builds (e.g. build/san) of the programs.
PM_FCGI=${STACK_PM_FCGI:-$ROOT/build/pm-fcgi}
PM_ADMIN=${STACK_PM_ADMIN:-$ROOT/build/pm-admin}

die() { echo "stack: $*" >&2; exit 1; }
note() { echo "stack: $*"; }

usage() {
	sed -n '4,7p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# ---------------------------------------------------------------- options
CMD=${1:-}
[ $# -gt 0 ] && shift
DIR=
PORT=8080
SERVER=lighttpd
APACHE_PORT=
WORKERS=4
PYTHON=${PYTHON:-/usr/bin/python3}
SETS=()
PLANS=prompt-manager
while [ $# -gt 0 ]; do
	case $1 in
	--dir) DIR=${2:?--dir needs a value}; shift 2 ;;
	--dir=*) DIR=${1#*=}; shift ;;
	--port) PORT=${2:?--port needs a value}; shift 2 ;;
	--port=*) PORT=${1#*=}; shift ;;
	--server) SERVER=${2:?--server needs a value}; shift 2 ;;
	--server=*) SERVER=${1#*=}; shift ;;
	--apache-port) APACHE_PORT=${2:?--apache-port needs a value}; shift 2 ;;
	--apache-port=*) APACHE_PORT=${1#*=}; shift ;;
	--workers) WORKERS=${2:?--workers needs a value}; shift 2 ;;
	--workers=*) WORKERS=${1#*=}; shift ;;
	--plans) PLANS=${2:?--plans needs a catalog name}; shift 2 ;;
	--set) SETS+=("${2:?--set needs key=value}"); shift 2 ;;
	--set=*) SETS+=("${1#*=}"); shift ;;
	-h|--help) usage ;;
	*) echo "stack: unknown argument: $1" >&2; usage ;;
	esac
done
case $CMD in
start|stop|run|status|db-start|db-stop) ;;
*) usage ;;
esac
[ -n "$DIR" ] || die "--dir is required"
case $SERVER in lighttpd|apache|both) ;; *) die "--server must be lighttpd, apache or both" ;; esac
for n in "$PORT" "$WORKERS" ${APACHE_PORT:+"$APACHE_PORT"}; do
	case $n in ''|*[!0-9]*) die "not a number: $n" ;; esac
done
for s in ${SETS[@]+"${SETS[@]}"}; do
	case $s in *=*) ;; *) die "--set expects key=value, got: $s" ;; esac
done

LIGHTTPD_PORT=
case $SERVER in
lighttpd) LIGHTTPD_PORT=$PORT; APACHE_PORT= ;;
apache) APACHE_PORT=${APACHE_PORT:-$PORT} ;;
both) LIGHTTPD_PORT=$PORT; APACHE_PORT=${APACHE_PORT:-$((PORT + 1))} ;;
esac

# path_check PATH WHAT FIX: die in one sentence when PATH holds a character
# the generated configurations cannot hold. Paths are written between
# double quotes, which lighttpd and Apache cannot escape reliably (lighttpd
# has no escape for a backslash); Apache reads ${ as a variable and * ? [ ]
# as wildcards in the -f and Include paths, lighttpd globs include paths
# ({ } too); app.conf holds one setting per line.
path_check() {
	local shown=$1
	case $1 in *[[:cntrl:]]*) shown=$(printf '%q' "$1") ;; esac
	case $1 in
	*[][\"\\\$*?{}]*|*[[:cntrl:]]*)
		die "$2 $shown has a character in its path that the web servers' configuration cannot hold (\" \\ \$ * ? [ ] { } or a control character): $3." ;;
	esac
}

# DIR is relative to the caller's directory; then work from the checkout.
case $DIR in /*) ;; *) DIR=$PWD/$DIR ;; esac
case $CMD in
start|run)
	path_check "$ROOT" "the checkout" "clone or move it to a path without them"
	path_check "$DIR" "--dir" "choose a --dir without them"
	mkdir -p "$DIR" ;;
db-start) mkdir -p "$DIR" ;;
*) if [ ! -d "$DIR" ]; then
	[ "$CMD" = status ] && { echo "nothing runs: $DIR does not exist"; exit 3; }
	exit 0
   fi ;;
esac
DIR=$(cd "$DIR" && pwd -P)
cd "$ROOT"
RUN=$DIR/run
LOG=$DIR/log
DB_PID=$RUN/mysqld.pid
PM_PID=$RUN/pm-fcgi.pid
LT_PID=$RUN/lighttpd.pid
AP_PID=$RUN/apache.pid
SECRET=$DIR/secrets/db_password

# The public directory (see "public directory" below): /run/pm-stack-HASH,
# or under /tmp when /run is not writable; HASH names DIR. It holds the
# sockets, so their paths stay short whatever DIR is.
if [ -w /run ]; then PUB_BASE=/run; else PUB_BASE=/tmp; fi
PUB=$PUB_BASE/pm-stack-$(printf '%s' "$DIR" | sha256sum | cut -c1-16)
DB_SOCK=$PUB/mysqld.sock
PM_SOCK=$PUB/pm.sock
ACCESS_LOG=lighttpd-access.log
# The directory holding the static/ the web servers serve: ROOT, or PUB
# when they cannot read ROOT/static (set by web_prepare).
STATIC_ROOT=$ROOT

# ---------------------------------------------------------------- helpers
# alive PID COMM: the process exists, is not a zombie, and runs COMM.
alive() {
	local pid=$1 comm=$2 stat
	case $pid in ''|*[!0-9]*) return 1 ;; esac
	stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	# /proc/PID/stat: "pid (comm) S ..." - comm may hold spaces.
	local c=${stat#*(}; c=${c%)*}
	local state=${stat##*) }; state=${state%% *}
	[ "$state" != Z ] && [ "$state" != X ] || return 1
	[ "$c" = "$comm" ] || [ "${comm:0:15}" = "$c" ]
}

# running PID: the process exists and is not a zombie (whatever it runs:
# right after "cmd &" the child may not have exec'ed the program yet).
running() {
	local stat state
	case $1 in ''|*[!0-9]*) return 1 ;; esac
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	state=${stat##*) }; state=${state%% *}
	[ "$state" != Z ] && [ "$state" != X ]
}

pid_of() { # pid_of PIDFILE
	[ -f "$1" ] && tr -dc 0-9 < "$1" 2>/dev/null || true
}

# wait_gone PID COMM SECONDS: 0 when the process ended in time.
wait_gone() {
	local pid=$1 comm=$2 n=$(($3 * 10))
	while [ $n -gt 0 ]; do
		alive "$pid" "$comm" || return 0
		sleep 0.1
		n=$((n - 1))
	done
	! alive "$pid" "$comm"
}

# stop_proc NAME COMM PIDFILE TIMEOUT [SIGNAL]: signal, wait, then SIGKILL.
stop_proc() {
	local name=$1 comm=$2 pidfile=$3 timeout=$4 sig=${5:-TERM} pid
	pid=$(pid_of "$pidfile")
	if [ -n "$pid" ] && alive "$pid" "$comm"; then
		note "stopping $name (pid $pid)"
		kill -"$sig" "$pid" 2>/dev/null || true
		if ! wait_gone "$pid" "$comm" "$timeout"; then
			note "$name did not stop within ${timeout}s: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			wait_gone "$pid" "$comm" 5 || true
		fi
	fi
	rm -f "$pidfile"
}

tail_logs() {
	local f
	for f in "$@"; do
		[ -s "$f" ] || continue
		echo "----- last lines of $f" >&2
		tail -n 25 "$f" >&2
	done
}

# Start a command detached from our session and terminal, all output to a
# log. Sets BG_PID. setsid does not fork here (we are never a process group
# leader), so BG_PID is the program's own pid.
start_bg() {
	local logfile=$1; shift
	setsid "$@" </dev/null >>"$logfile" 2>&1 &
	BG_PID=$!
}

mysql_root() { mariadb --no-defaults --socket="$DB_SOCK" -uroot; }

db_ping() {
	mariadb-admin --no-defaults --socket="$DB_SOCK" -uroot \
	    --connect-timeout=2 ping >/dev/null 2>&1
}

sql_quote() { printf "%s" "$1" | sed "s/'/''/g"; }

# DIR is ours when it holds the marker .pm-stack, or is new or empty: a
# directory with other content is never taken over (nor deleted from).
prepare_dirs() {
	if [ ! -e "$DIR/.pm-stack" ]; then
		# (a stack made before the marker existed is recognised by the
		# header of its generated app.conf)
		if [ -d "$DIR" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ] &&
		    ! head -1 "$DIR/app.conf" 2>/dev/null | grep -q '^# generated by scripts/stack.sh'; then
			die "$DIR is not empty and was not made by this script: choose another --dir"
		fi
		mkdir -p "$DIR"
		echo "made by scripts/stack.sh; removing this directory removes the stack" \
		    > "$DIR/.pm-stack"
	fi
	mkdir -p "$RUN" "$LOG" "$DIR/secrets"
	chmod 700 "$DIR/secrets"
	chmod 755 "$RUN" "$LOG"
}

# ---------------------------------------------------------------- public directory
# Started as root, the web servers run as www-data (Apache's children,
# lighttpd after start-up), and www-data often cannot reach the checkout
# or DIR: a checkout under /root (mode 0700) or under a folder made by
# mktemp -d. Granting it access there would mean changing the permissions
# of directories the stack does not own, and running the servers as root
# is what production never does (Debian's apache2 refuses to). So what
# the unprivileged processes reach lives in PUB, a directory of its own
# under /run (root:www-data, 0750; for another user, theirs, 0700):
#   pm.sock, mysqld.sock  the sockets; DIR/run/ holds links to them
#   lighttpd-access.log   DIR/log/ links to it while the stack runs, and
#                         stop moves it back
#   static/               a copy of the checkout's static/, made at every
#                         start, only when www-data cannot read the
#                         checkout's own: otherwise that one is served,
#                         so CSS and JS edits show without a restart
# Everything else is opened by root: configurations, pid files, DIR/log/
# (lighttpd writes its errors to stderr, a file there). stop removes PUB.
# Whether www-data reaches what it needs is tested as www-data, not
# guessed from modes.
if [ "$(id -u)" = 0 ]; then
	WEB_USER=www-data
	as_web() { setpriv --reuid=www-data --regid=www-data --init-groups -- "$@"; }
else
	WEB_USER=$(id -un)
	as_web() { "$@"; }
fi

# pub_make: create PUB (or check that the one there is this stack's) and
# the links to it in DIR/run. PUB/.pm-stack names DIR: nothing else is
# ever taken over, or removed by stop.
pub_make() {
	local mode=700
	if [ ! -e "$PUB" ] && [ ! -L "$PUB" ]; then
		mkdir -m 700 "$PUB" 2>/dev/null ||
			die "cannot create the public directory $PUB: make $PUB_BASE writable for $(id -un)."
		printf '%s\n' "$DIR" > "$PUB/.pm-stack"
	fi
	if [ -L "$PUB" ] || [ ! -d "$PUB" ] || [ "$(stat -c %u "$PUB")" != "$(id -u)" ] ||
	    [ "$(cat "$PUB/.pm-stack" 2>/dev/null)" != "$DIR" ]; then
		die "$PUB belongs to another stack or user: stop that stack, or remove $PUB."
	fi
	if [ "$WEB_USER" = www-data ]; then
		chgrp www-data "$PUB"
		mode=750
	fi
	chmod "$mode" "$PUB"
	ln -sfn "$PUB" "$RUN/public"
	ln -sfn "$DB_SOCK" "$RUN/mysqld.sock"
	ln -sfn "$PM_SOCK" "$RUN/pm.sock"
}

# pub_remove: give DIR/log back the access log, then remove PUB and the
# links to it (only the PUB of this stack).
pub_remove() {
	local pub
	pub=$(readlink "$RUN/public" 2>/dev/null) || pub=$PUB
	if [ -L "$LOG/$ACCESS_LOG" ]; then
		rm -f "$LOG/$ACCESS_LOG"
		[ -f "$pub/$ACCESS_LOG" ] && mv "$pub/$ACCESS_LOG" "$LOG/$ACCESS_LOG"
	fi
	if [ -d "$pub" ] && [ ! -L "$pub" ] &&
	    [ "$(cat "$pub/.pm-stack" 2>/dev/null)" = "$DIR" ]; then
		rm -rf "$pub"
	fi
	rm -f "$RUN/public" "$RUN/mysqld.sock" "$RUN/pm.sock"
}

# web_reads DIR: the web servers' user can open every file below DIR.
web_reads() {
	local out
	out=$(cd / && as_web find "$1" \( -type d ! -executable -o ! -type d ! -readable \) \
	    -print -quit 2>&1) && [ -z "$out" ]
}

# web_prepare: everything the web servers need before any of them starts:
# the static files they serve, the access log, and a check, as the web
# servers' user, that they reach all of it. Dies in one sentence if not.
web_prepare() {
	local a=$LOG/$ACCESS_LOG p=$PUB/$ACCESS_LOG
	if [ "$WEB_USER" = www-data ] && ! id -u www-data >/dev/null 2>&1; then
		die "the web servers run as www-data, which does not exist: create it (adduser --system --group www-data)."
	fi
	pub_make
	if web_reads "$ROOT/static"; then
		STATIC_ROOT=$ROOT
		rm -rf "$PUB/static"
	else
		STATIC_ROOT=$PUB
		rm -rf "$PUB/static.new"
		cp -R "$ROOT/static" "$PUB/static.new"
		chmod -R u+w,a+rX "$PUB/static.new"
		rm -rf "$PUB/static"
		mv "$PUB/static.new" "$PUB/static"
	fi
	if [ -n "$LIGHTTPD_PORT" ]; then
		# lighttpd opens its access log after dropping privileges.
		[ -f "$a" ] && [ ! -L "$a" ] && mv "$a" "$p"
		touch "$p"
		[ "$WEB_USER" = www-data ] && chown www-data:www-data "$p"
		ln -sfn "$p" "$a"
		as_web test -w "$p" ||
			die "$WEB_USER cannot write $p: make $PUB_BASE traversable for $WEB_USER."
	fi
	as_web test -x "$PUB" ||
		die "$WEB_USER cannot reach $PUB: make $PUB_BASE traversable for $WEB_USER."
	web_reads "$STATIC_ROOT/static" ||
		die "$WEB_USER cannot read $STATIC_ROOT/static: make $PUB_BASE traversable for $WEB_USER."
}

# ---------------------------------------------------------------- MariaDB
# Its temporary files go to a folder of its own (PUB/tmp): with the shared
# /tmp, bootstraps of stacks started at the same moment failed now and then
# ("Could not remove temporary table", "Unknown table mysql.tmp_user_sys").
MYSQLD_OPTS=(
	--tmpdir="$PUB/tmp"
	--innodb-buffer-pool-size=64M
	--innodb-log-file-size=16M
	--innodb-flush-log-at-trx-commit=2
	--skip-log-bin
	--skip-name-resolve
	--character-set-server=utf8mb4
	--collation-server=utf8mb4_unicode_ci
)

# Create the system tables in DIR/mysql (output appended to the log).
# mariadb-install-db leaves the data directory unquoted in a chown: it gets
# a link from PUB, whose path holds no space.
db_install() {
	local r=0
	rm -rf "$DIR/mysql"
	mkdir -m 700 "$DIR/mysql"
	ln -sfn "$DIR/mysql" "$PUB/mysql"
	echo "== mariadb-install-db $(date -u +%FT%TZ)" >>"$LOG/mariadb-install.log"
	mariadb-install-db --no-defaults --user=root --datadir="$PUB/mysql" \
	    --auth-root-authentication-method=socket --skip-test-db \
	    "${MYSQLD_OPTS[@]}" >>"$LOG/mariadb-install.log" 2>&1 || r=$?
	rm -f "$PUB/mysql"
	return $r
}

db_start() {
	local pid first=0 n
	prepare_dirs
	pub_make
	pid=$(pid_of "$DB_PID")
	if [ -n "$pid" ] && alive "$pid" mariadbd; then
		if db_ping; then
			db_setup
			return 0
		fi
		# e.g. started by an older stack.sh, with its socket in DIR/run
		note "MariaDB (pid $pid) does not answer on $DB_SOCK: restarting it"
		db_stop
	fi
	mkdir -p -m 700 "$PUB/tmp"
	if [ ! -d "$DIR/mysql/mysql" ]; then
		note "initialising MariaDB in $DIR/mysql"
		if ! db_install && ! { note "mariadb-install-db failed; retrying once"; db_install; }; then
			echo "----- errors in $LOG/mariadb-install.log" >&2
			grep -i -m 20 -E "error|fatal|abort|denied|cannot|can't" \
			    "$LOG/mariadb-install.log" >&2 || true
			tail_logs "$LOG/mariadb-install.log"
			rm -rf "$DIR/mysql"
			die "mariadb-install-db failed"
		fi
		first=1
	fi
	rm -f "$DB_SOCK" "$DB_SOCK.lock" "$DB_PID"
	start_bg "$LOG/mariadb.log" mariadbd --no-defaults --user=root \
	    --datadir="$DIR/mysql" --socket="$DB_SOCK" --skip-networking \
	    --pid-file="$DB_PID" --log-error="$LOG/mariadb.log" \
	    "${MYSQLD_OPTS[@]}"
	pid=$BG_PID
	n=300
	until db_ping; do
		if ! running "$pid"; then
			tail_logs "$LOG/mariadb.log"
			die "mariadbd exited during start-up"
		fi
		n=$((n - 1))
		if [ $n -le 0 ]; then
			tail_logs "$LOG/mariadb.log"
			kill -TERM "$pid" 2>/dev/null || true
			die "MariaDB did not answer within 30s"
		fi
		sleep 0.1
	done
	# mariadbd writes its pid file itself; make sure it is there.
	[ -s "$DB_PID" ] || echo "$pid" > "$DB_PID"
	[ $first = 1 ] && note "MariaDB initialised"
	db_setup
	note "MariaDB running (pid $(pid_of "$DB_PID"), socket $DB_SOCK)"
}

# Database and application user; idempotent, run at every db-start. The
# password is created once and kept in DIR/secrets/db_password.
db_setup() {
	local pw
	if [ ! -s "$SECRET" ]; then
		(umask 077
		 head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$SECRET.tmp"
		 mv "$SECRET.tmp" "$SECRET")
	fi
	chmod 600 "$SECRET"
	pw=$(cat "$SECRET")
	mysql_root <<-EOF || die "cannot create the database or its user"
		CREATE DATABASE IF NOT EXISTS prompt_manager
		  CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
		CREATE USER IF NOT EXISTS 'pm'@'localhost' IDENTIFIED BY '$(sql_quote "$pw")';
		ALTER USER 'pm'@'localhost' IDENTIFIED BY '$(sql_quote "$pw")';
		GRANT ALL PRIVILEGES ON prompt_manager.* TO 'pm'@'localhost';
		FLUSH PRIVILEGES;
	EOF
}

db_stop() {
	local pid
	pid=$(pid_of "$DB_PID")
	if [ -z "$pid" ] || ! alive "$pid" mariadbd; then
		rm -f "$DB_PID"
		return 0
	fi
	note "stopping MariaDB (pid $pid)"
	if ! mariadb-admin --no-defaults --socket="$DB_SOCK" -uroot \
	    --connect-timeout=2 shutdown >/dev/null 2>&1; then
		kill -TERM "$pid" 2>/dev/null || true
	fi
	if ! wait_gone "$pid" mariadbd 60; then
		kill -TERM "$pid" 2>/dev/null || true
		if ! wait_gone "$pid" mariadbd 30; then
			note "MariaDB did not stop: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			wait_gone "$pid" mariadbd 5 || true
		fi
	fi
	rm -f "$DB_PID"
}

# ---------------------------------------------------------------- fakes
# port_wait PORTFILE LOG NAME: print the port a stand-in just started
# (BG_PID) wrote to PORTFILE, waiting up to 10 s; die naming it if it
# exits or does not write it.
port_wait() {
	local n=100
	until [ -s "$1" ]; do
		running "$BG_PID" || { tail_logs "$2" >&2; die "$3 exited"; }
		n=$((n - 1))
		[ $n -le 0 ] && die "$3 did not start"
		sleep 0.1
	done
	cat "$1"
}

# ---------------------------------------------------------------- upstream
# Without a platform OpenRouter key (no --set openrouter_key_file=...), the
# local stand-in tests/fakes/openrouter.py serves the "demo models", so a
# newcomer without internet can run prompts end to end.
uses_real_key() {
	local s
	for s in ${SETS[@]+"${SETS[@]}"}; do
		case $s in openrouter_key_file=?*) return 0 ;; esac
	done
	[ -n "${PM_OPENROUTER_KEY_FILE:-}" ]
}

# The stand-in of a demo stack (not a test stack, which sets test_mode)
# streams at a human pace and lists only the models a user should see
# (tests/fakes/openrouter.py --demo); STACK_FAKE_FLAGS adds flags, e.g.
# STACK_FAKE_FLAGS="--token-delay-ms 80".
fake_demo_flag() {
	local s
	for s in ${SETS[@]+"${SETS[@]}"}; do
		case $s in test_mode=true|test_mode=yes|test_mode=on|test_mode=1) return 0 ;; esac
	done
	echo --demo
}

fake_start() {
	local port
	uses_real_key && return 0
	stop_proc "fake OpenRouter" python3 "$RUN/openrouter.pid" 5
	if [ ! -s "$DIR/secrets/openrouter_key" ]; then
		(umask 077; printf 'sk-or-v1-demo%s\n' \
		    "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" \
		    > "$DIR/secrets/openrouter_key")
	fi
	rm -f "$RUN/openrouter.port"
	start_bg "$LOG/openrouter.log" "$PYTHON" "$ROOT/tests/fakes/openrouter.py" \
	    --host 127.0.0.1 --port 0 --port-file "$RUN/openrouter.port" \
	    --key-file "$DIR/secrets/openrouter_key" --quiet $(fake_demo_flag) ${STACK_FAKE_FLAGS:-}
	echo "$BG_PID" > "$RUN/openrouter.pid"
	port=$(port_wait "$RUN/openrouter.port" "$LOG/openrouter.log" "the fake OpenRouter")
	FAKE_URL="http://127.0.0.1:$port/api/v1"
	note "fake OpenRouter (demo models) on $FAKE_URL"
}

# ---------------------------------------------------------------- mail
# Without a mail server of the caller's (no --set smtp_url=...), the local
# sink tests/fakes/smtp_sink.py catches every message in DIR/mail (as .eml
# and .json files), and the site shows them at /demo/mail (demo_mail_dir):
# a newcomer can reset a password offline. STACK_SMTP_FLAGS adds options
# of the sink (--auth, --tls-cert...); a test changes its mode at run time
# in DIR/mail/.mode (refuse, tempfail, reject-data, normal).
uses_real_smtp() {
	local s
	for s in ${SETS[@]+"${SETS[@]}"}; do
		case $s in smtp_url=?*) return 0 ;; esac
	done
	[ -n "${PM_SMTP_URL:-}" ]
}

sink_start() {
	local port
	uses_real_smtp && return 0
	stop_proc "SMTP sink" python3 "$RUN/smtp.pid" 5
	rm -f "$RUN/smtp.port"
	start_bg "$LOG/smtp-sink.log" "$PYTHON" "$ROOT/tests/fakes/smtp_sink.py" \
	    --host 127.0.0.1 --port 0 --port-file "$RUN/smtp.port" \
	    --dir "$DIR/mail" ${STACK_SMTP_FLAGS:-}
	echo "$BG_PID" > "$RUN/smtp.pid"
	port=$(port_wait "$RUN/smtp.port" "$LOG/smtp-sink.log" "the SMTP sink")
	SINK_URL="smtp://127.0.0.1:$port"
	note "SMTP sink on $SINK_URL (messages in $DIR/mail, and at /demo/mail)"
}

# ---------------------------------------------------------------- Stripe
# [8/14] billing. Without a Stripe secret key (no --set
# stripe_secret_key_file=...), the local stand-in tests/fakes/stripe.py is
# Stripe: its hosted checkout page takes the payment ("Pay", or "Card
# declined") and delivers signed webhooks to this stack, so the whole
# upgrade flow works offline. Its keys are made once in DIR/secrets; it
# reads the application's test clock when --set clock_file=... names one;
# the plan catalog's prices are created in it at every start
# (pm-admin stripe sync-prices, idempotent).
uses_real_stripe() {
	local s
	for s in ${SETS[@]+"${SETS[@]}"}; do
		case $s in stripe_secret_key_file=?*) return 0 ;; esac
	done
	[ -n "${PM_STRIPE_SECRET_KEY_FILE:-}" ]
}

stripe_fake_start() {
	local port s clock= url
	STRIPE_FAKE_URL=
	uses_real_stripe && return 0
	stop_proc "fake Stripe" python3 "$RUN/stripe.pid" 5
	[ -s "$DIR/secrets/stripe_secret_key" ] || (umask 077; printf 'sk_test_%s\n' \
	    "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" > "$DIR/secrets/stripe_secret_key")
	[ -s "$DIR/secrets/stripe_webhook_secret" ] || (umask 077; printf 'whsec_%s\n' \
	    "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" > "$DIR/secrets/stripe_webhook_secret")
	for s in ${SETS[@]+"${SETS[@]}"}; do
		case $s in clock_file=?*) clock=${s#*=} ;; esac
	done
	url="http://127.0.0.1:${LIGHTTPD_PORT:-$APACHE_PORT}/webhooks/stripe"
	rm -f "$RUN/stripe.port"
	start_bg "$LOG/stripe.log" "$PYTHON" "$ROOT/tests/fakes/stripe.py" \
	    --host 127.0.0.1 --port 0 --port-file "$RUN/stripe.port" \
	    --key-file "$DIR/secrets/stripe_secret_key" --webhook-url "$url" \
	    --webhook-secret-file "$DIR/secrets/stripe_webhook_secret" \
	    ${clock:+--clock-file "$clock"} --quiet
	echo "$BG_PID" > "$RUN/stripe.pid"
	port=$(port_wait "$RUN/stripe.port" "$LOG/stripe.log" "the fake Stripe")
	STRIPE_FAKE_URL="http://127.0.0.1:$port"
	note "fake Stripe (test mode, no real payments) on $STRIPE_FAKE_URL"
}

# The configuration lines of the fake (before --set, which may override).
stripe_conf() {
	[ -n "${STRIPE_FAKE_URL:-}" ] || return 0
	echo "stripe_base_url = $STRIPE_FAKE_URL"
	echo "stripe_secret_key_file = $DIR/secrets/stripe_secret_key"
	echo "stripe_webhook_secret_file = $DIR/secrets/stripe_webhook_secret"
}

stripe_prices() {
	[ -n "${STRIPE_FAKE_URL:-}" ] || return 0
	"$PM_ADMIN" -c "$DIR/app.conf" stripe sync-prices >>"$LOG/migrate.log" 2>&1 ||
		note "warning: the plans' prices could not be made in the fake Stripe (see $LOG/migrate.log)"
}

stripe_fake_stop() {
	stop_proc "fake Stripe" python3 "$RUN/stripe.pid" 5
}

# ---------------------------------------------------------------- app
# A secret of 64 hex digits in DIR/secrets/NAME, made once and kept.
make_secret() {
	[ -s "$DIR/secrets/$1" ] && return 0
	(umask 077; od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$DIR/secrets/$1.tmp" &&
	    echo >> "$DIR/secrets/$1.tmp" && mv "$DIR/secrets/$1.tmp" "$DIR/secrets/$1")
}

write_app_conf() {
	local s
	make_secret api_key_secret
	make_secret vault_key
	{
		echo "# generated by scripts/stack.sh - rewritten at every start"
		echo "listen = unix:$PM_SOCK"
		echo "listen_mode = 0666"
		echo "workers = $WORKERS"
		echo "db_socket = $DB_SOCK"
		echo "db_name = prompt_manager"
		echo "db_user = pm"
		echo "db_password_file = $SECRET"
		echo "templates_dir = $ROOT/templates"
		echo "migrations_dir = $ROOT/db/migrations"
		echo "log_level = info"
		echo "plans_dir = $ROOT/conf/plans"
		echo "api_key_secret_file = $DIR/secrets/api_key_secret"
		echo "vault_key_file = $DIR/secrets/vault_key"
		if [ -n "${FAKE_URL:-}" ]; then
			echo "openrouter_base_url = $FAKE_URL"
			echo "openrouter_key_file = $DIR/secrets/openrouter_key"
		fi
		# Links in mail lead to the site as this stack serves it.
		echo "public_base_url = http://127.0.0.1:${LIGHTTPD_PORT:-$APACHE_PORT}"
		if [ -n "${SINK_URL:-}" ]; then
			echo "smtp_url = $SINK_URL"
			echo "smtp_starttls = off"
			echo "mail_from = Prompt Manager <no-reply@localhost>"
			echo "demo_mail_dir = $DIR/mail"
		fi
		# --- BYOK: the stand-in also answers for the other providers of
		# the table (OpenAI, Anthropic...) under /provider/NAME.
		if [ -n "${FAKE_URL:-}" ]; then
			echo "byok_providers_base_url = ${FAKE_URL%/api/v1}/provider"
		fi
		# --- end of BYOK
		stripe_conf
		for s in ${SETS[@]+"${SETS[@]}"}; do
			echo "${s%%=*} = ${s#*=}"
		done
	} > "$DIR/app.conf.tmp"
	mv "$DIR/app.conf.tmp" "$DIR/app.conf"
}

app_start() {
	local n
	export PM_CONFIG=$DIR/app.conf
	if ! "$PM_ADMIN" -c "$DIR/app.conf" migrate >>"$LOG/migrate.log" 2>&1; then
		tail_logs "$LOG/migrate.log"
		die "migrations failed"
	fi
	if ! "$PM_ADMIN" -c "$DIR/app.conf" plans load "$PLANS" >>"$LOG/migrate.log" 2>&1; then
		tail_logs "$LOG/migrate.log"
		die "loading the plan catalog $PLANS failed"
	fi
	stripe_prices
	if ! "$PM_ADMIN" -c "$DIR/app.conf" models sync >>"$LOG/migrate.log" 2>&1; then
		note "warning: the model catalog could not be synced (see $LOG/migrate.log)"
	fi
	rm -f "$PM_SOCK"
	start_bg "$LOG/pm-fcgi.log" "$PM_FCGI" -c "$DIR/app.conf"
	echo "$BG_PID" > "$PM_PID"
	n=300
	until [ -S "$PM_SOCK" ]; do
		if ! running "$BG_PID"; then
			tail_logs "$LOG/pm-fcgi.log"
			die "pm-fcgi exited during start-up"
		fi
		n=$((n - 1))
		if [ $n -le 0 ]; then
			tail_logs "$LOG/pm-fcgi.log"
			die "pm-fcgi did not create $PM_SOCK within 30s"
		fi
		sleep 0.1
	done
	note "pm-fcgi running (pid $BG_PID, $WORKERS workers, socket $PM_SOCK)"
}

# ---------------------------------------------------------------- web servers
# Paths are quoted as they are: path_check refused what quoting cannot hold.
write_lighttpd_conf() {
	{
		echo "# generated by scripts/stack.sh: a standalone lighttpd configuration"
		echo "var.pm_port = $LIGHTTPD_PORT"
		echo "var.pm_root = \"$STATIC_ROOT\""
		echo "var.pm_socket = \"$PM_SOCK\""
		echo "var.pm_state = \"$PUB\""
		echo 'server.bind = "127.0.0.1"'
		echo 'server.port = var.pm_port'
		echo 'server.use-ipv6 = "disable"'
		echo 'server.document-root = var.pm_root + "/static"'
		echo "server.pid-file = \"$LT_PID\""
		# No server.errorlog: lighttpd -D logs to its stderr, which
		# start_bg opened as root (DIR/log/lighttpd-error.log).
		echo 'server.feature-flags = ( "server.graceful-shutdown-timeout" => 5 )'
		# No URL normalisation: lighttpd would answer 400 itself to a bad
		# %-escape; pm-fcgi judges request targets with its own messages.
		# (The path used for matching is still decoded and simplified.)
		echo 'server.http-parseopts = ( "header-strict" => "enable", "host-strict" => "enable", "host-normalize" => "enable", "url-normalize" => "disable" )'
		if [ "$(id -u)" = 0 ]; then
			# Drop privileges like a production server.
			echo 'server.username = "www-data"'
			echo 'server.groupname = "www-data"'
		fi
		echo "include \"$ROOT/conf/lighttpd.conf\""
	} > "$DIR/lighttpd.conf"
}

write_apache_conf() {
	local m mods="mpm_event authz_core mime alias env headers proxy proxy_fcgi"
	{
		echo "# generated by scripts/stack.sh: a standalone httpd configuration"
		echo "ServerRoot /etc/apache2"
		for m in $mods; do
			echo "LoadModule ${m}_module /usr/lib/apache2/modules/mod_$m.so"
		done
		echo "User www-data"
		echo "Group www-data"
		echo "ServerName 127.0.0.1"
		echo "PidFile \"$AP_PID\""
		echo "DefaultRuntimeDir \"$RUN\""
		echo "Mutex \"file:$RUN\" default"
		echo "ErrorLog \"$LOG/apache-error.log\""
		echo "LogLevel warn"
		echo "TypesConfig /etc/mime.types"
		echo "<Directory />"
		echo "	Options None"
		echo "	AllowOverride None"
		echo "	Require all denied"
		echo "</Directory>"
		echo "Define PM_PORT $APACHE_PORT"
		echo "Define PM_ROOT \"$STATIC_ROOT\""
		echo "Define PM_SOCKET \"$PM_SOCK\""
		echo "Define PM_STATE \"$LOG\""
		echo "Include \"$ROOT/conf/apache.conf\""
	} > "$DIR/apache.conf"
}

web_start() {
	local out
	if [ -n "$LIGHTTPD_PORT" ]; then
		write_lighttpd_conf
		out=$(lighttpd -tt -f "$DIR/lighttpd.conf" 2>&1) ||
			die "lighttpd configuration is invalid: $out"
		start_bg "$LOG/lighttpd-error.log" lighttpd -D -f "$DIR/lighttpd.conf"
		LT_STARTED=$BG_PID
		note "lighttpd started (pid $BG_PID, http://127.0.0.1:$LIGHTTPD_PORT)"
	fi
	if [ -n "$APACHE_PORT" ]; then
		write_apache_conf
		out=$(apache2 -t -f "$DIR/apache.conf" 2>&1) ||
			die "apache configuration is invalid: $out"
		start_bg "$LOG/apache.out" apache2 -f "$DIR/apache.conf" -DFOREGROUND
		AP_STARTED=$BG_PID
		note "apache started (pid $BG_PID, http://127.0.0.1:$APACHE_PORT)"
	fi
}

health_wait() {
	local n=300 code pending
	while :; do
		pending=
		if [ -n "$LIGHTTPD_PORT" ]; then
			running "$LT_STARTED" || {
				tail_logs "$LOG/lighttpd-error.log"
				die "lighttpd exited during start-up"; }
			code=$(curl --noproxy '*' -sS -o /dev/null -w '%{http_code}' --max-time 2 \
			    "http://127.0.0.1:$LIGHTTPD_PORT/api/health" 2>/dev/null) || code=000
			[ "$code" = 200 ] || pending="$pending lighttpd"
		fi
		if [ -n "$APACHE_PORT" ]; then
			running "$AP_STARTED" || {
				tail_logs "$LOG/apache.out" "$LOG/apache-error.log"
				die "apache exited during start-up"; }
			code=$(curl --noproxy '*' -sS -o /dev/null -w '%{http_code}' --max-time 2 \
			    "http://127.0.0.1:$APACHE_PORT/api/health" 2>/dev/null) || code=000
			[ "$code" = 200 ] || pending="$pending apache"
		fi
		[ -z "$pending" ] && return 0
		n=$((n - 1))
		if [ $n -le 0 ]; then
			echo "stack: /api/health did not answer 200 within 30s via:$pending (last: $code)" >&2
			tail_logs "$LOG/pm-fcgi.log" "$LOG/mariadb.log" \
			    "$LOG/lighttpd-error.log" \
			    "$LOG/apache-error.log" "$LOG/apache.out"
			exit 1
		fi
		sleep 0.1
	done
}

web_stop() {
	# A start that failed may have left a server that had not written its
	# pid file yet: the pid start_bg gave is the server's own.
	[ -s "$LT_PID" ] || [ -z "${LT_STARTED:-}" ] || echo "$LT_STARTED" > "$LT_PID"
	[ -s "$AP_PID" ] || [ -z "${AP_STARTED:-}" ] || echo "$AP_STARTED" > "$AP_PID"
	stop_proc lighttpd lighttpd "$LT_PID" 15
	stop_proc apache apache2 "$AP_PID" 15
}

# ---------------------------------------------------------------- commands
do_start() {
	local pid
	# What cannot work is said before anything starts.
	[ -x "$PM_FCGI" ] && [ -x "$PM_ADMIN" ] ||
		die "$PM_FCGI and $PM_ADMIN are missing: run make first."
	prepare_dirs
	web_prepare
	# A start that fails half-way stops what it started.
	trap 'echo "stack: start failed: stopping what was started" >&2; do_stop >&2' EXIT
	db_start
	# A second start replaces what runs (the configuration may differ).
	pid=$(pid_of "$PM_PID")
	if { [ -n "$pid" ] && alive "$pid" pm-fcgi; } ||
	    alive "$(pid_of "$LT_PID")" lighttpd ||
	    alive "$(pid_of "$AP_PID")" apache2; then
		note "already running: restarting the application and web servers"
		web_stop
		stop_proc pm-fcgi pm-fcgi "$PM_PID" 35
	fi
	fake_start
	sink_start
	stripe_fake_start
	write_app_conf
	{
		echo "server=$SERVER"
		echo "lighttpd_port=$LIGHTTPD_PORT"
		echo "apache_port=$APACHE_PORT"
		echo "workers=$WORKERS"
		echo "public=$PUB"
		echo "static=$STATIC_ROOT/static"
	} > "$RUN/stack.env"
	app_start
	web_start
	health_wait
	[ -n "$LIGHTTPD_PORT" ] &&
		echo "Prompt Manager is running at http://127.0.0.1:$LIGHTTPD_PORT"
	[ -n "$APACHE_PORT" ] &&
		echo "Prompt Manager is running at http://127.0.0.1:$APACHE_PORT"
	trap - EXIT
	return 0
}

do_stop() {
	web_stop
	stop_proc pm-fcgi pm-fcgi "$PM_PID" 35
	stop_proc "fake OpenRouter" python3 "$RUN/openrouter.pid" 5
	stop_proc "SMTP sink" python3 "$RUN/smtp.pid" 5
	stripe_fake_stop
	rm -f "$PM_SOCK" "$RUN/stack.env"
	db_stop
	pub_remove
}

do_status() {
	local pid rc=0 name comm file n
	[ -f "$RUN/stack.env" ] && sed 's/^/config: /' "$RUN/stack.env"
	while read -r name comm file; do
		pid=$(pid_of "$file")
		if [ -n "$pid" ] && alive "$pid" "$comm"; then
			if [ "$name" = pm-fcgi ]; then
				n=$(grep -ls "^PPid:[[:space:]]*$pid\$" /proc/[0-9]*/status | wc -l)
				echo "$name: running (pid $pid, $n workers)"
			else
				echo "$name: running (pid $pid)"
			fi
		else
			echo "$name: stopped"
			rc=3
		fi
	done <<-EOF
		MariaDB mariadbd $DB_PID
		pm-fcgi pm-fcgi $PM_PID
		lighttpd lighttpd $LT_PID
		apache apache2 $AP_PID
	EOF
	return $rc
}

do_run() {
	local tail_pid=
	# Ctrl-C at any moment, even during start-up, stops what was started.
	trap 'trap - INT TERM; [ -n "${tail_pid:-}" ] && kill "$tail_pid" 2>/dev/null; echo; do_stop; exit 0' INT TERM
	do_start
	echo "Following $LOG/pm-fcgi.log (Ctrl-C stops the stack)"
	tail -n 0 -F "$LOG/pm-fcgi.log" &
	tail_pid=$!
	while :; do
		wait "$tail_pid" 2>/dev/null || true
		alive "$(pid_of "$PM_PID")" pm-fcgi || {
			echo "stack: pm-fcgi is gone" >&2; do_stop; exit 1; }
		sleep 1
	done
}

case $CMD in
db-start) db_start ;;
db-stop) db_stop ;;
start) do_start ;;
stop) do_stop ;;
status) do_status ;;
run) do_run ;;
esac
