#!/usr/bin/env bash
# The whole test suite against an AddressSanitizer + UndefinedBehaviorSanitizer build of
# the extension (issue: hardening). Builds with CMake into build/sanitize, stages the
# package with that extension in a temporary directory and runs pytest there with the
# sanitizer runtimes preloaded (Python itself is not instrumented).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet "pybind11>=3" cmake ninja
BUILD=build/sanitize
# -O1: ASan's recommended level, and fast enough for the suite (about a minute here).
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DPK_SANITIZE=ON \
  -Dpybind11_DIR="$(python -c 'import pybind11; print(pybind11.get_cmake_dir())')" \
  -DPython_EXECUTABLE="$(command -v python)" > /dev/null
cmake --build "$BUILD"
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
cp -r python/pyramidkit "$STAGE/"
rm -f "$STAGE"/pyramidkit/_core*.so
cp "$BUILD"/_core*.so "$STAGE/pyramidkit/"
export LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
# Leak checks would report CPython's and NumPy's own lifetime allocations; a huge
# requested size must come back as NULL (MemoryError), as without the sanitizer.
export ASAN_OPTIONS=detect_leaks=0:handle_segv=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
PYTHONPATH="$STAGE" python -c "import pyramidkit, sys; sys.exit(not pyramidkit.__file__.startswith('$STAGE'))"
PYTHONPATH="$STAGE" python -m pytest -q -p no:cacheprovider -p no:faulthandler tests/test_dask.py tests/test_downsample.py
