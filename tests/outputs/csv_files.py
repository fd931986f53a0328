#!/usr/bin/env python3
"""outputs/csv (csv_files.py: not csv.py, which would shadow the csv module): `extract --format csv -o DIR` against the JSON Lines output.

- one file per record kind, header = the fixed columns of the kind (common
  columns, then the kind's properties in records.schema.json order, then
  `extra`), whatever the data;
- RFC 4180: CRLF row ends, quotes doubled, UTF-8 without BOM;
- row counts per kind = record counts of the JSONL output; every cell equals
  the record's value (Vietnamese text intact);
- quotes, commas, " | " and newlines round trip (csv_roundtrip writes such
  records through the same writer).

LibreOffice is not installed here; Python's csv module (a strict RFC 4180
reader with these settings) stands in for it.

usage: csv_files.py VNEXTRACT SOURCE_ROOT CSV_ROUNDTRIP
Prints "N passed, N failed"; exits 1 on a failure."""
import csv
import json
import os
import subprocess
import sys
import tempfile

vnx, root, roundtrip = sys.argv[1], sys.argv[2], sys.argv[3]
from tally import check, finish  # the script's directory is on sys.path

COMMON = ["id", "doc", "kind", "line", "span_start", "span_end", "text", "rule"]


def cell(v):
    """A JSON value as the writer renders it (see extract/write_csv.c)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "%.15g" % v
    if isinstance(v, list):
        return " | ".join(cell(x) for x in v)
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    return v


def columns(schema, kind):
    d = schema["$defs"].get(kind)
    own = [p for p in d["properties"] if p not in ("id", "kind", "doc", "line", "span", "text", "rule")] if d else []
    return COMMON + own + ["extra"]


def read_csv(path):
    raw = open(path, "rb").read()
    check(not raw.startswith(b"\xef\xbb\xbf"), f"{path}: no BOM")
    check(raw.endswith(b"\r\n"), f"{path}: ends with CRLF")
    raw.decode("utf-8")  # raises if not UTF-8
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, dialect="excel", strict=True))
    # every row terminator is CRLF: re-serialising gives the same bytes
    # (newlines inside quoted cells are the cells' own)
    return rows, raw


def compare(path, rows, raw, records, kind, schema):
    cols = columns(schema, kind) if kind in schema["$defs"] else COMMON + ["extra"]
    check(rows and rows[0] == cols, f"{path}: header {rows[0] if rows else None} != {cols}")
    check(len(rows) - 1 == len(records), f"{path}: {len(rows) - 1} rows, {len(records)} records")
    by_id = {r["id"]: r for r in records}
    bad = 0
    for row in rows[1:]:
        rec = by_id.get(row[0])
        if rec is None or len(row) != len(cols):
            bad += 1
            continue
        want = []
        extra = {k: v for k, v in rec.items() if k not in cols and k not in ("span",)}
        for c in cols:
            if c == "span_start":
                want.append(cell(rec["span"][0]))
            elif c == "span_end":
                want.append(cell(rec["span"][1]))
            elif c == "extra":
                want.append(cell(extra) if extra else "")
            else:
                want.append(cell(rec.get(c)))
        if row != want:
            bad += 1
            if bad <= 3:
                print(f"  {path}: {rec['id']}: " +
                      "; ".join(f"{c}: {g!r} != {w!r}" for c, g, w in zip(cols, row, want) if g != w))
    check(bad == 0, f"{path}: {bad} rows differ from their records")
    # RFC 4180 writer with CRLF gives back the same bytes
    import io
    buf = io.StringIO(newline="")
    w = csv.writer(buf, dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerows(rows)
    check(buf.getvalue().encode("utf-8") == raw, f"{path}: not byte-identical to an RFC 4180 writer's output")


schema = json.load(open(os.path.join(root, "extract", "records.schema.json"), encoding="utf-8"))

with tempfile.TemporaryDirectory() as tmp:
    # the corpus
    jl = os.path.join(tmp, "corpus.jsonl")
    out = os.path.join(tmp, "new", "csv")  # DIR is created, parents too
    r1 = subprocess.run([vnx, "extract", "-q", "-o", jl, os.path.join(root, "corpus")], capture_output=True, text=True)
    r2 = subprocess.run([vnx, "extract", "-q", "--format", "csv", "-o", out, os.path.join(root, "corpus")],
                        capture_output=True, text=True)
    check(r1.returncode == 0 and r2.returncode == 0, f"extract exit {r1.returncode}/{r2.returncode}: {r2.stderr.strip()}")
    records = [json.loads(line) for line in open(jl, encoding="utf-8")]
    kinds = sorted({r["kind"] for r in records})
    files = sorted(os.listdir(out))
    check(not [f for f in files if not f.endswith(".csv")], f"no temporary files left: {files}")
    for k in schema["$defs"]["common"]["properties"]["kind"]["enum"]:
        check(f"{k}.csv" in files, f"{k}.csv exists (header only when no record has the kind)")
    for k in kinds:
        path = os.path.join(out, f"{k}.csv")
        if not os.path.exists(path):
            check(False, f"{path} missing")
            continue
        rows, raw = read_csv(path)
        compare(path, rows, raw, [r for r in records if r["kind"] == k], k, schema)
        print(f"{k}.csv: {len(rows) - 1} rows")
    # Vietnamese intact: a known title and signer appear as written
    doc_rows = list(csv.DictReader(open(os.path.join(out, "document.csv"), newline="", encoding="utf-8")))
    check(any(r["signer"] == "Bùi Hùng Thiện" for r in doc_rows), "document.csv: signer Bùi Hùng Thiện")
    check(any("Thành ủy" in r["recipients"] and " | " in r["recipients"] for r in doc_rows),
          "document.csv: recipients joined with ' | '")

    # a second run over an existing DIR replaces the files
    r3 = subprocess.run([vnx, "extract", "-q", "--format", "csv", "-o", out, os.path.join(root, "corpus")],
                        capture_output=True, text=True)
    check(r3.returncode == 0 and sorted(os.listdir(out)) == files, "rerun into the same DIR")
    # -o missing
    r4 = subprocess.run([vnx, "extract", "-q", "--format", "csv", os.path.join(root, "corpus")], capture_output=True, text=True)
    check(r4.returncode == 2, f"--format csv without -o: exit {r4.returncode}, want 2")
    # DIR that is a file
    afile = os.path.join(tmp, "afile")
    open(afile, "w").close()
    r5 = subprocess.run([vnx, "extract", "-q", "--format", "csv", "-o", afile, os.path.join(root, "corpus")],
                        capture_output=True, text=True)
    check(r5.returncode == 2 and "afile" in r5.stderr, f"-o FILE that is not a directory: exit {r5.returncode}")

    # quoting round trip
    qdir = os.path.join(tmp, "q")
    r = subprocess.run([roundtrip, qdir], capture_output=True, text=True)
    check(r.returncode == 0, f"csv_roundtrip exit {r.returncode}: {r.stderr.strip()}")
    qrecs = [json.loads(line) for line in r.stdout.splitlines()]
    for k in sorted({x["kind"] for x in qrecs}):
        path = os.path.join(qdir, f"{k}.csv")
        rows, raw = read_csv(path)
        compare(path, rows, raw, [x for x in qrecs if x["kind"] == k], k, schema)
    drows = list(csv.reader(open(os.path.join(qdir, "deadline.csv"), newline="", encoding="utf-8")))
    check(drows[1][6] == "trước ngày \"30/6/2026\", hoàn thành\nxong\r\ncuối",
          f"quotes, comma, LF and CRLF inside a cell: {drows[1][6]!r}")
    check('"trước ngày ""30/6/2026"", ho'.encode() in open(os.path.join(qdir, "deadline.csv"), "rb").read(),
          "quotes doubled inside a quoted cell")

finish()
