#!/usr/bin/env bash
# Configures (if needed) and builds libsocketio with Ninja, RelWithDebInfo by default.
#
#   scripts/build.sh [BUILD_DIR] [CMAKE_CONFIGURE_ARGS...] [--target TARGET...]
#
#   BUILD_DIR        default: build (relative paths are relative to the repo root)
#   configure args   passed to cmake, e.g. -DSOCKETIO_SANITIZE=ON or -DCMAKE_BUILD_TYPE=Debug
#   --target T       build only T (may be repeated); everything after --target is a target name
#
# Environment: SOCKETIO_JOBS (default: number of cores), CC/CXX (honoured on the first configure only).
# Build trees are incremental: rerunning only rebuilds what changed. Does not install dependencies;
# scripts/setup.sh does.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

build_dir="build"
if (($#)) && [[ "$1" != -* ]]; then
    build_dir="$1"
    shift
fi
[[ "$build_dir" == /* ]] || build_dir="$ROOT/$build_dir"

configure_args=()
targets=()
while (($#)); do
    case "$1" in
        --target) shift; targets+=("$@"); break ;;
        *) configure_args+=("$1"); shift ;;
    esac
done

jobs="${SOCKETIO_JOBS:-$(nproc)}"

# A tree configured by another generator cannot be switched to Ninja in place.
if [[ -f "$build_dir/CMakeCache.txt" ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$build_dir/CMakeCache.txt"; then
    echo "build: $build_dir was not configured with Ninja; remove it or choose another build dir" >&2
    exit 1
fi

# Configure on the first run or when arguments are given; otherwise Ninja reruns cmake itself when
# a CMakeLists.txt (or a globbed directory) changed.
if [[ ! -f "$build_dir/build.ninja" ]] || ((${#configure_args[@]})); then
    default_type=()
    grep -qs '^CMAKE_BUILD_TYPE:STRING=.\+' "$build_dir/CMakeCache.txt" || default_type=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
    cmake -S "$ROOT" -B "$build_dir" -G Ninja "${default_type[@]}" "${configure_args[@]}" >/dev/null
fi

target_args=()
((${#targets[@]})) && target_args=(--target "${targets[@]}")
cmake --build "$build_dir" -j "$jobs" "${target_args[@]}"
