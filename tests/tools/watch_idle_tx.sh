#!/bin/bash
# watch_idle_tx.sh - a tool for hunting stalls, not a test: watch the
# MariaDB of every test stack under /tmp/pm-test-* (or $STACKS) for a
# transaction that stands idle (no statement) longer than $IDLE seconds
# (12), or waits that long for a lock, and at the first one write its stack's transactions, connections
# and the backtraces of all its pm-fcgi threads (gdb) to a file in $OUT
# (/tmp), then exit. Run it beside `make integration` in a loop.
#
# usage: tests/tools/watch_idle_tx.sh [SECONDS]   (how long to watch: 1200)
set -u
end=$((SECONDS + ${1:-1200}))
idle=${IDLE:-12}
out_dir=${OUT:-/tmp}
while [ $SECONDS -lt $end ]; do
	for d in ${STACKS:-/tmp/pm-test-*}; do
		sock=$d/run/mysqld.sock
		[ -S "$sock" ] || continue
		hit=$(mariadb --no-defaults --socket="$sock" -uroot -N -B -e \
		    "SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX
		     WHERE (trx_query IS NULL AND
		     TIMESTAMPDIFF(SECOND, trx_started, NOW()) > $idle) OR
		     (trx_state = 'LOCK WAIT' AND
		     TIMESTAMPDIFF(SECOND, trx_wait_started, NOW()) > $idle)" 2>/dev/null)
		[ -n "$hit" ] || continue
		f=$out_dir/idle-tx-$(date -u +%H%M%S).txt
		{
			echo "stack $d: idle transaction of connection(s) $hit"
			mariadb --no-defaults --socket="$sock" -uroot -e \
			    "SELECT * FROM information_schema.INNODB_TRX\G
			     SELECT * FROM information_schema.PROCESSLIST\G"
			for pid in $(pgrep -f "pm-fcgi -c $d/app.conf"); do
				echo "=== pm-fcgi $pid"
				gdb -p "$pid" -batch -ex "thread apply all bt"
			done
		} > "$f" 2>&1
		echo "written: $f"
		exit 0
	done
	sleep 2
done
echo "no idle transaction seen"
