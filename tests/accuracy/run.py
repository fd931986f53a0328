#!/usr/bin/env python3
"""accuracy suite: vnextract against the hand-checked gold.

usage: run.py VNEXTRACT SOURCE_ROOT

Runs `VNEXTRACT extract --rules SOURCE_ROOT/rules DOCS -o TMP.jsonl` on
  - SOURCE_ROOT/corpus, scored against tests/accuracy/seed-gold/ (the seed gold
    renamed to the corpus file stems), with thresholds;
  - tests/accuracy/dev-set/docs, scored against tests/accuracy/dev-set/gold/,
    printed only (the dev set follows slightly different conventions).
The scorer is tests/accuracy/score.py, a copy of the shared one; nothing here
reads outside the source tree.

Threshold checks (seed gold only): deadline recall, precision, and start/end
exactness among the matched; indicator precision and recall, also strict (the
value must match exactly); body precision and recall, also strict (the role
must match). The last line is
"N passed, N failed"; the exit status is 1 if any check failed.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# kind -> [(figure in score.py's json, minimum)]
THRESHOLDS = {
    "deadline": [("recall", 0.97), ("precision", 0.95), ("value_acc", 0.97)],
    # issue 7: P and R >= 0.90 with the value exact (strict = span and value right)
    "indicator": [("precision", 0.90), ("recall", 0.90), ("strict_p", 0.90), ("strict_r", 0.90)],
    # issue 6: P and R >= 0.90 with the role right (strict = span and role right)
    "body": [("precision", 0.90), ("recall", 0.90), ("strict_p", 0.90), ("strict_r", 0.90)],
}
KINDS = ["deadline", "body", "indicator"]


def extract(vnextract, rules, docs, out):
    cmd = [vnextract, "extract", "--rules", rules, docs, "-o", out]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        print(f"error: {' '.join(cmd)} exited with {r.returncode}")
        return False
    return True


def kinds_present(records):
    seen = set()
    with open(records, encoding="utf-8") as f:
        for ln in f:
            ln = ln.strip()
            if ln:
                seen.add(json.loads(ln).get("kind"))
    return [k for k in KINDS if k == "deadline" or k in seen]


def score(gold, records, kinds):
    cmd = [sys.executable, os.path.join(HERE, "score.py"), gold, records,
           "--kinds=" + ",".join(kinds), "--json"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        return None
    return json.loads(r.stdout)


def show(title, res):
    print(f"== {title}")
    for kind, s in res.items():
        print(f"{kind:10s} gold={s['gold']:4d} pred={s['pred']:4d} match={s['match']:4d} "
              f"P={s['precision']:.3f} R={s['recall']:.3f} F1={s['f1']:.3f} "
              f"value={s['value_acc']:.3f} strictF1={s['strict_f1']:.3f}")
        for doc, line, text in s.get("misses", []):
            print(f"  miss  {doc}:{line}: {text!r}")
        for doc, line, text in s.get("extras", []):
            print(f"  extra {doc}:{line}: {text!r}")


def main(argv):
    if len(argv) != 3:
        print(__doc__)
        return 2
    vnextract, root = argv[1], argv[2]
    rules = os.path.join(root, "rules")
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="vnx-accuracy-") as tmp:
        seeds = os.path.join(tmp, "seeds.jsonl")
        if extract(vnextract, rules, os.path.join(root, "corpus"), seeds):
            res = score(os.path.join(HERE, "seed-gold"), seeds, kinds_present(seeds))
        else:
            res = None
        if res is None:
            failed += sum(len(v) for v in THRESHOLDS.values())
        else:
            show("seed gold (corpus/)", res)
            for kind, checks in THRESHOLDS.items():
                s = res.get(kind)
                for fig, minimum in checks:
                    got = s[fig] if s else 0.0
                    ok = got >= minimum
                    passed += ok
                    failed += not ok
                    print(f"{'ok  ' if ok else 'FAIL'} {kind} {fig} {got:.3f} >= {minimum}")

        dev = os.path.join(tmp, "dev.jsonl")
        if extract(vnextract, rules, os.path.join(HERE, "dev-set", "docs"), dev):
            dres = score(os.path.join(HERE, "dev-set", "gold"), dev, kinds_present(dev))
            if dres is not None:
                show("dev set (printed, not checked)", dres)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
