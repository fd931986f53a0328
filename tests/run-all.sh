#!/usr/bin/env bash
# Runs every test suite of a build and ends with "N passed, N failed".
# usage: tests/run-all.sh [BUILD_DIR]   (default: build)
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
meson test -C "$BUILD" --print-errorlogs --num-processes 2
rc=$?
# meson writes one JSON object per test; count from it rather than from
# the human summary, whose format changes between meson versions.
python3 - "$BUILD/meson-logs/testlog.json" "$rc" <<'PY'
import json, os, sys
passed = failed = skipped = 0
if not os.path.exists(sys.argv[1]) or sys.argv[2] == "125":
    # meson could not build or run anything: that is a failure, not zero tests
    print("FAILED: the build (meson test exited %s)" % sys.argv[2])
    print("0 passed, 1 failed")
    sys.exit(0)
for ln in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(ln)
    res = r.get("result")
    if res in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif res == "SKIP":
        skipped += 1
    else:
        failed += 1
        print(f"FAILED: {r.get('name')} ({res})")
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $rc
