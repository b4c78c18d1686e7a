#!/bin/sh
# run.sh - run libFuzzer harnesses: replay the seeds, then fuzz.
#
#   sh tests/fuzz/run.sh [-c] SECONDS NAME...
#
# For each NAME, $FUZZBUILD/fuzz_NAME (default build/fuzz) first runs every
# file of tests/fuzz/seeds/NAME/ once, then fuzzes for SECONDS seconds,
# starting from the seeds and the working corpus $FUZZBUILD/corpus-NAME/,
# which keeps what the fuzzer finds from one run to the next. With -c (make
# fuzz-check) the working corpus is a scratch directory emptied first, so
# the check takes the same time every time. tests/fuzz/NAME.dict is used
# when present.
#
# A crash, a leak, a sanitizer report or a hang (one input running over
# 10 s) fails the harness: its report is shown with the path of the input
# that caused it (kept under $FUZZBUILD/artifacts/NAME/) and the command
# that replays it. Every harness runs; the exit status is 1 when any failed.
set -u

FUZZBUILD=${FUZZBUILD:-build/fuzz}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export UBSAN_OPTIONS

check=0
if [ "${1:-}" = -c ]; then
	check=1
	shift
fi
if [ $# -lt 2 ]; then
	echo "usage: sh tests/fuzz/run.sh [-c] SECONDS NAME..." >&2
	exit 2
fi
secs=$1
shift

# Show why harness $1 failed, from its log $2.
report() {
	name=$1 log=$2
	echo "fuzz $name: FAILED; the report (full log: $log):"
	start=$(grep -n -m1 -E 'property failed|==ERROR|runtime error|deadly signal|ERROR: libFuzzer|ALARM: working|out-of-memory' "$log" | cut -d: -f1)
	if [ -n "$start" ]; then
		[ "$start" -gt 3 ] && start=$((start - 3)) || start=1
		tail -n +"$start" "$log" | head -n 80
	else
		tail -n 40 "$log"
	fi
	unit=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
	if [ -z "$unit" ]; then
		# A seed that fails while replayed: the file named last.
		unit=$(sed -n 's/^Running: \(.*\)$/\1/p' "$log" | tail -1)
	fi
	if [ -n "$unit" ]; then
		echo "fuzz $name: reproducer: $unit"
		echo "fuzz $name: replay with: $FUZZBUILD/fuzz_$name $unit"
	fi
}

failed=0
for name in "$@"; do
	bin=$FUZZBUILD/fuzz_$name
	seeds=tests/fuzz/seeds/$name
	art=$FUZZBUILD/artifacts/$name
	log=$FUZZBUILD/$name.log
	if [ $check = 1 ]; then
		corpus=$FUZZBUILD/check-corpus-$name
		rm -rf "$corpus"
	else
		corpus=$FUZZBUILD/corpus-$name
	fi
	mkdir -p "$corpus" "$art"
	dict=
	[ -f "tests/fuzz/$name.dict" ] && dict=-dict=tests/fuzz/$name.dict

	nseeds=$(find "$seeds" -type f | wc -l)
	if [ "$nseeds" -eq 0 ]; then
		echo "fuzz $name: FAILED: no seeds in $seeds"
		failed=1
		continue
	fi
	if ! find "$seeds" -type f | sort | xargs "$bin" \
	    -artifact_prefix="$art/" >"$log" 2>&1; then
		report "$name" "$log"
		failed=1
		continue
	fi
	# shellcheck disable=SC2086
	if ! "$bin" -artifact_prefix="$art/" -max_total_time="$secs" \
	    -timeout=10 -print_final_stats=1 $dict "$corpus" "$seeds" \
	    >>"$log" 2>&1; then
		report "$name" "$log"
		failed=1
		continue
	fi
	stats=$(sed -n 's/^#[0-9]*[[:space:]]*DONE[[:space:]]*//p' "$log" | tail -1)
	runs=$(sed -n 's/^stat::number_of_executed_units: //p' "$log" | tail -1)
	echo "fuzz $name: ok: $nseeds seeds replayed, ${runs:-?} runs in $secs s ($stats)"
done
exit $failed
