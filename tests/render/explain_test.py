#!/usr/bin/env python3
"""explain on a corpus document, and render's determinism.

usage: explain_test.py VNEXTRACT SOURCE_ROOT BUILD_DIR
Prints "ok - ..." / "not ok - ..." and ends with "N passed, N failed".
"""
import json
import os
import pty
import re
import select
import subprocess
import sys
import tempfile

VNX, ROOT, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
RULES = os.path.join(ROOT, "rules")
CORPUS = os.path.join(ROOT, "corpus")
passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok - {what}")
    else:
        failed += 1
        print(f"not ok - {what}")
        for ln in str(detail).splitlines()[:20]:
            print(f"    # {ln}")


def run(*args, env=None):
    p = subprocess.run([VNX, *args], capture_output=True, env=env)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def run_pty(args, env):
    """stdout on a pseudo-terminal, as a user at a terminal would see it."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(VNX, [VNX, *args], env)
    out = b""
    while True:
        r, _, _ = select.select([fd], [], [], 30)
        if not r:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out


# the corpus records, to compare with
rc, jsonl, err = run("extract", "--rules", RULES, "-q", CORPUS)
check(rc == 0, "extract corpus", err)
recs = [json.loads(ln) for ln in jsonl.splitlines() if ln.strip()]
by_doc = {}
for r in recs:
    by_doc.setdefault(r["doc"], []).append(r)

# the document with the most deadlines on single lines
def deadlines(doc):
    return [r for r in by_doc.get(doc, []) if r["kind"] == "deadline"]

docs = sorted(by_doc, key=lambda d: (-len(deadlines(d)), d))
check(docs and deadlines(docs[0]), "the corpus has deadline records")
doc = docs[0]
path = os.path.join(CORPUS, doc + ".txt")
orig = open(path, "rb").read()
dls = deadlines(doc)

rc, out, err = run("explain", "--rules", RULES, path)
check(rc == 0, f"explain {doc} exits 0", err)
check("\x1b[" not in out, "no escape codes when stdout is not a terminal")
arrow = [ln for ln in out.splitlines() if "\u2190 deadline." in ln]
check(len(arrow) == len(dls), f"one '\u2190 deadline.' line per deadline record ({len(dls)})",
      f"{len(arrow)} lines")
# other kinds may nest inside a deadline: look at deadlines alone
rc, dout, err = run("explain", "--rules", RULES, "--kind", "deadline", path)
missing = []
for r in dls:
    s, e = r["span"]
    span = orig[s:e].decode("utf-8")
    if "\n" in span:
        continue
    if f"[deadline: {span}]" not in dout:
        missing.append(f"line {r['line']}: {span}")
check(rc == 0 and not missing, "every deadline span is bracketed as [deadline: ...] (--kind deadline)",
      "\n".join(missing))
first = dls[0]
check(re.search(rf"^ +{first['line']} [ !?] .*\[deadline: ", out, re.M) is not None,
      "the bracket is on the record's numbered line")
summary = {"before": "before ", "within": "within ", "on": "on ", "range": "range ",
           "recurring": "recurring every"}.get(first.get("type"), "")
check(any(f"deadline {summary}" in ln and first["rule"] in ln for ln in arrow),
      "the record line has the resolved value and the rule", "\n".join(arrow[:3]))

# --line: only those lines, and only their records
ln = first["line"]
rc, out, err = run("explain", "--rules", RULES, "--line", f"{ln}-{ln + 1}", path)
numbers = [int(m.group(1)) for m in re.finditer(r"^ +(\d+) [ !?] ", out, re.M)]
check(rc == 0 and numbers and set(numbers) <= {ln, ln + 1}, f"--line {ln}-{ln + 1} prints only those lines",
      out)
want = sum(1 for r in dls if ln <= r["line"] <= ln + 1)
got = out.count("\u2190 deadline.")
check(got == want, f"--line lists only the records starting there ({want})", out)
rc, out, err = run("explain", "--rules", RULES, "--line", "0", path)
check(rc == 2, "--line 0 is a usage error (exit 2)", err)

# --rule and --kind
rule = first["rule"]
rc, out, err = run("explain", "--rules", RULES, "--rule", rule, path)
rules_shown = set(re.findall(r"\u2190 (\S+)", out))
check(rc == 0 and rules_shown == {rule}, f"--rule {rule} lists only that rule", rules_shown)
check(out.count("\u2190") == sum(1 for r in dls if r["rule"] == rule), "--rule lists all of its records")
rc, out, err = run("explain", "--rules", RULES, "--rule", "deadline.*", path)
check(out.count("\u2190 deadline.") == len(dls), "--rule PREFIX* matches by prefix")
rc, out, err = run("explain", "--rules", RULES, "--kind", "document", path)
check(rc == 0 and "\u2190" not in out, "--kind document: no span records")
rc, out, err = run("explain", "--rules", RULES, path, path)
check(rc == 2, "two files is a usage error")
rc, out, err = run("explain", "--rules", RULES, os.path.join(ROOT, "no-such-file.txt"))
check(rc == 1 and "no-such-file" in err, "a missing file exits 1 with a message", err)

# NO_COLOR under a pseudo-terminal (https://no-color.org)
env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
env.setdefault("TERM", "xterm")
args = ["explain", "--rules", RULES, "--line", f"{ln}-{ln}", path]
rc, raw = run_pty(args, env)
check(rc == 0 and b"\x1b[" in raw, "on a terminal: escape codes", raw[:300])
check(b"[deadline: " not in raw, "on a terminal: colour instead of brackets")
rc, raw = run_pty(args, dict(env, NO_COLOR="1"))
check(rc == 0 and b"\x1b[" not in raw and b"[deadline: " in raw, "NO_COLOR=1 on a terminal: no escape codes",
      raw[:300])
rc, raw = run_pty(args, dict(env, NO_COLOR=""))
check(rc == 0 and b"\x1b[" in raw, "NO_COLOR empty on a terminal: colour (the spec says set and non-empty)")

# render: the same bytes for the same --as-of, escaped, self-contained
with tempfile.TemporaryDirectory() as t:
    a, b, c = (os.path.join(t, n) for n in ("a.html", "b.html", "c.html"))
    rc1, _, err1 = run("render", "--rules", RULES, CORPUS, "-o", a, "--as-of", "2026-05-15", "-j", "1")
    rc2, _, err2 = run("render", "--rules", RULES, CORPUS, "-o", b, "--as-of", "2026-05-15", "-j", "4")
    check(rc1 == 0 and rc2 == 0, "render exits 0", err1 + err2)
    ha, hb = open(a, "rb").read(), open(b, "rb").read()
    check(ha == hb, "render twice with the same --as-of: identical bytes (any -j)")
    run("render", "--rules", RULES, CORPUS, "-o", c, "--as-of", "2030-01-01")
    check(open(c, "rb").read() != ha, "another --as-of gives another report")
    html = ha.decode("utf-8")
    nspan = sum(1 for r in recs if r["kind"] != "document")
    check(html.count("<mark ") == nspan, f"one <mark> per span record ({nspan})", html.count("<mark "))
    check(not re.search(r"(src|href)=\"(https?:)?//", html) and "@import" not in html and "url(" not in html,
          "no external resources")
    check(html.count('<section class="doc"') == len(by_doc), "one section per document")
    rc, _, err = run("render", "--rules", RULES, CORPUS)
    check(rc == 2 and "-o" in err, "render without -o is a usage error", err)
    rc, _, err = run("render", "--rules", RULES, CORPUS, "-o", a, "--as-of", "2026-13-01")
    check(rc == 2, "a bad --as-of is a usage error", err)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
