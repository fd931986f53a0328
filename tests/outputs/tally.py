"""The pass/fail count the outputs tests share: check() each assertion,
finish() prints "N passed, N failed" and exits 1 if any failed."""
import sys

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}")


def finish():
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
