#!/usr/bin/env bash
# Builds and runs every test. Installs missing dependencies first (scripts/setup.sh).
#
#   1. main      build/        RelWithDebInfo (g++): ctest, every label
#   2. sanitize  build-asan/   ASan + UBSan (g++): ctest -L unit|integration|interop|qml|admin|redis|dashboard|workers
#   3. fuzz      build-fuzz/   clang + libFuzzer: ctest -L fuzz, each fuzzer SOCKETIO_FUZZ_SECONDS
#
# Every phase runs even if an earlier one failed; the exit status is non-zero if anything failed.
# Build trees are kept and reused, so a rerun only rebuilds what changed.
#
# Environment:
#   SOCKETIO_TEST_PHASES   phases to run (default "main sanitize fuzz"), e.g. "main" for a quick check
#   SOCKETIO_JOBS          parallel compile and test jobs (default: number of cores)
#   SOCKETIO_FUZZ_SECONDS  seconds each fuzzer runs (default 20)
#   extra arguments        passed to every ctest run, e.g. scripts/test.sh -R tst_enginepacket
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PHASES="${SOCKETIO_TEST_PHASES:-main sanitize fuzz}"
JOBS="${SOCKETIO_JOBS:-$(nproc)}"
FUZZ_SECONDS="${SOCKETIO_FUZZ_SECONDS:-20}"
CTEST_EXTRA=("$@")

# No display anywhere: Qt's offscreen platform for anything that wants one.
export QT_QPA_PLATFORM=offscreen
# Sanitizers: stop at the first error with a stack trace; leaks are errors. tests/lsan.supp lists
# leaks that belong to Qt or system libraries, each with the reason.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:print_stacktrace=1:detect_leaks=1:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"

say() { printf '\n==== %s\n' "$*"; }

summary=()
failed=0
total_passed=0
total_failed=0
total_start=$SECONDS

# run_phase NAME BUILD_DIR "CMAKE ARGS..." "CTEST ARGS..." [BUILD TARGETS...]
run_phase() {
    local name="$1" dir="$2" cmake_args="$3" ctest_args="$4"
    shift 4
    local targets=("$@") start=$SECONDS build_secs test_secs log="$ROOT/$dir/ctest-$name.log"
    local target_args=()
    ((${#targets[@]})) && target_args=(--target "${targets[@]}")

    say "$name: building $dir ($cmake_args)"
    # shellcheck disable=SC2086 # cmake_args is a list of words
    if ! SOCKETIO_JOBS="$JOBS" scripts/build.sh "$dir" $cmake_args "${target_args[@]}"; then
        build_secs=$((SECONDS - start))
        summary+=("$name: BUILD FAILED after ${build_secs}s")
        failed=1
        return
    fi
    build_secs=$((SECONDS - start))

    say "$name: ctest $ctest_args"
    start=$SECONDS
    # shellcheck disable=SC2086
    ctest --test-dir "$dir" -j "$JOBS" --output-on-failure --no-tests=error $ctest_args "${CTEST_EXTRA[@]}" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    test_secs=$((SECONDS - start))
    local result
    result="$(grep -E 'tests passed|No tests were found' "$log" | tail -1)"
    summary+=("$name: build ${build_secs}s, tests ${test_secs}s: ${result:-ctest exit code $rc}")
    # totals over every phase for the closing line
    local phase_failed phase_total
    phase_failed="$(sed -nE 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\1/p' "$log" | tail -1)"
    phase_total="$(sed -nE 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\2/p' "$log" | tail -1)"
    if [[ -n "$phase_total" ]]; then
        total_passed=$((total_passed + phase_total - phase_failed))
        total_failed=$((total_failed + phase_failed))
    fi
    while IFS= read -r line; do summary+=("    $line"); done < <(sed -n '/The following tests FAILED/,$p' "$log" | grep -E '^\s+[0-9]+ - ')
    ((rc == 0)) || failed=1
}

say "setup"
if ! scripts/setup.sh; then
    echo "setup failed: dependencies missing" >&2
    exit 1
fi

for phase in $PHASES; do
    case "$phase" in
        main)
            run_phase main build "" ""
            ;;
        sanitize)
            run_phase sanitize build-asan "-DSOCKETIO_SANITIZE=ON" "-L ^(unit|integration|interop|qml|admin|redis|dashboard|workers)$"
            ;;
        fuzz)
            fuzzers=()
            for src in tests/fuzz/fuzz_*.cpp; do
                [[ -e "$src" ]] && fuzzers+=("$(basename "$src" .cpp)")
            done
            if ((${#fuzzers[@]} == 0)); then
                summary+=("fuzz: FAILED: no fuzz targets (tests/fuzz/fuzz_*.cpp)")
                failed=1
                continue
            fi
            # Only the fuzz targets (they link SocketIo::Protocol), not the whole library.
            run_phase fuzz build-fuzz \
                "-DCMAKE_CXX_COMPILER=$(command -v clang++) -DSOCKETIO_BUILD_FUZZERS=ON -DSOCKETIO_BUILD_TESTS=OFF -DSOCKETIO_BUILD_EXAMPLES=OFF -DSOCKETIO_FUZZ_SECONDS=$FUZZ_SECONDS" \
                "-L ^fuzz$" "${fuzzers[@]}"
            ;;
        *)
            summary+=("$phase: unknown phase (known: main sanitize fuzz)")
            failed=1
            ;;
    esac
done

say "summary (total $((SECONDS - total_start))s)"
printf '%s\n' "${summary[@]}"
# One plain closing line over all phases (a phase that failed to build counts as one failure).
((failed && total_failed == 0)) && total_failed=1
((failed)) && echo "FAILED: see the summary above"
echo "total: ${total_passed} passed, ${total_failed} failed"
((failed)) && exit 1
exit 0
