#!/usr/bin/env python3
"""outputs/schema: every record of the corpus is valid against
extract/records.schema.json (Draft 2020-12), and broken records are not.

usage: schema.py VNEXTRACT SOURCE_ROOT
Prints "N passed, N failed"; exits 1 on a failure."""
import copy
import json
import os
import subprocess
import sys
import tempfile

from jsonschema import Draft202012Validator

vnx, root = sys.argv[1], sys.argv[2]
from tally import check, finish  # the script's directory is on sys.path


schema = json.load(open(os.path.join(root, "extract", "records.schema.json"), encoding="utf-8"))
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)


def why(rec):
    """The errors of rec against the $def of its kind (clearer than oneOf's)."""
    kind = rec.get("kind")
    if kind not in schema["$defs"]:
        return [f"unknown kind {kind!r}"]
    sub = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{kind}"}
    return [f"{'/'.join(map(str, e.absolute_path)) or '(record)'}: {e.message}"
            for e in Draft202012Validator(sub).iter_errors(rec)]


with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "corpus.jsonl")
    r = subprocess.run([vnx, "extract", "-q", "-o", out, os.path.join(root, "corpus")],
                       capture_output=True, text=True)
    check(r.returncode == 0, f"extract exit {r.returncode}: {r.stderr.strip()}")
    records = [json.loads(line) for line in open(out, encoding="utf-8")]

check(len(records) > 0, "the corpus gives records")
kinds = {}
for rec in records:
    kinds[rec.get("kind")] = kinds.get(rec.get("kind"), 0) + 1
    if not validator.is_valid(rec):
        # the first invalid record, with its id: one is enough to act on
        check(False, f"record {rec.get('id')} ({rec.get('kind')}, line {rec.get('line')}) "
                     f"is invalid: {'; '.join(why(rec)[:5])}")
        break
else:
    check(True, "")
print("records by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))

# Negative checks: each deliberately broken record must be rejected.
by_kind = {}
for rec in records:
    by_kind.setdefault(rec["kind"], rec)
doc = by_kind.get("document")
dl = by_kind.get("deadline")


def broken(base, name, edit):
    if base is None:
        return
    rec = copy.deepcopy(base)
    edit(rec)
    check(not validator.is_valid(rec), f"broken record accepted: {name}")


broken(doc, "document without sha256", lambda r: r.pop("sha256"))
broken(doc, "document with a bad date", lambda r: r.update(date="2026-13-01"))
broken(doc, "document with a field the schema does not know", lambda r: r.update(colour="red"))
broken(doc, "document with recipients as a string", lambda r: r.update(recipients="A, B"))
broken(dl, "deadline with an unknown type", lambda r: r.update(type="after"))
broken(dl, "deadline with a non-ISO end", lambda r: r.update(end="30/6/2026"))
broken(dl, "deadline with a span of one number", lambda r: r.update(span=[3]))
broken(dl, "deadline with line 0", lambda r: r.update(line=0))
broken(dl, "deadline without id", lambda r: r.pop("id"))
broken(dl, "deadline with a document's id", lambda r: r.update(id="doc-" + r["id"][4:]))
broken(dl, "record of an unknown kind", lambda r: r.update(kind="deadlines"))
broken(dl, "recurring deadline without every", lambda r: (r.update(type="recurring"), r.pop("every", None)))
# hand-made records of the kinds the corpus may not produce yet
common = {"id": "bod-0123456789abcdef", "doc": "x", "kind": "body", "line": 1, "span": [0, 4],
          "text": "Sở X", "rule": "body.x"}
body = dict(common, name="Sở X", canonical=None, role="lead", generic=False)
check(validator.is_valid(body), f"a valid body record is rejected: {why(body)}")
broken(body, "body with an unknown role", lambda r: r.update(role="chair"))
task = dict(common, id="tas-0123456789abcdef", kind="task", lead=["bod-0123456789abcdef"],
            support=[], director=[], report_to=[], deadline=None, indicators=[], references=[])
check(validator.is_valid(task), f"a valid task record is rejected: {why(task)}")
broken(task, "task whose lead is a name, not an id", lambda r: r.update(lead=["Sở X"]))
ind = dict(common, id="ind-0123456789abcdef", kind="indicator", value=11.21, unit="%",
           qualifier=None, change="increase")
check(validator.is_valid(ind), f"a valid indicator record is rejected: {why(ind)}")
broken(ind, "indicator with a string value", lambda r: r.update(value="11,21"))
broken(ind, "indicator with an unknown qualifier", lambda r: r.update(qualifier="about"))
ref = dict(common, id="ref-0123456789abcdef", kind="reference", ref_type="Kết luận",
           number="201-KL/TW", date="2025-10-31", issuer="Bộ Chính trị")
check(validator.is_valid(ref), f"a valid reference record is rejected: {why(ref)}")
broken(ref, "reference with a bad date", lambda r: r.update(date="31/10/2025"))

finish()
