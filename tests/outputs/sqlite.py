#!/usr/bin/env python3
"""outputs/sqlite: `extract --db` (extract/write_sqlite.c).

1. the main job twice: the same rows, the second run rewrites nothing;
2. one document edited: only its rows change (the others keep their rowids);
3. kill -9 in the middle of a large batch: every document in the database
   has exactly the rows a clean run gives (no partial document), before and
   after the rerun; integrity and foreign keys check out.

usage: sqlite.py VNEXTRACT SOURCE_ROOT
Prints "N passed, N failed"; exits 1 on a failure."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

vnx, root = sys.argv[1], sys.argv[2]
from tally import check, finish  # the script's directory is on sys.path


RULES = None  # a snapshot: rules edited during the test must not change the rows


def run(*args):
    r = subprocess.run([vnx, "extract", "-q", "--rules", RULES, *args], capture_output=True, text=True)
    check(r.returncode == 0, f"extract {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()[:300]}")
    return r


def query(db, sql, *params):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def counts(db):
    return {t: query(db, f"SELECT count(*) FROM {t}")[0][0] for t in ("documents", "records", "task_bodies")}


def per_doc(db, with_rowid=False):
    """doc -> set of (id, json) (and rowid: a rewritten row gets a new one)."""
    cols = "rowid, id, json" if with_rowid else "id, json"
    out = {}
    for row in query(db, f"SELECT doc, {cols} FROM records"):
        out.setdefault(row[0], set()).add(tuple(row[1:]))
    return out


def jsonl_counts(path):
    n = {}
    for line in open(path, encoding="utf-8"):
        r = json.loads(line)
        n[r["doc"]] = n.get(r["doc"], 0) + 1
    return n


with tempfile.TemporaryDirectory() as tmp:
    RULES = os.path.join(tmp, "rules")
    shutil.copytree(os.path.join(root, "rules"), RULES)
    corpus = os.path.join(tmp, "corpus")
    shutil.copytree(os.path.join(root, "corpus"), corpus)
    db = os.path.join(tmp, "corpus.sqlite")
    jl = os.path.join(tmp, "corpus.jsonl")

    # 1. twice: same rows
    run("-o", jl, "--db", db, corpus)
    c1, rows1 = counts(db), per_doc(db, True)
    want = jsonl_counts(jl)
    check(c1["documents"] == len(want), f"documents {c1['documents']} != {len(want)}")
    check({d: len(s) for d, s in rows1.items()} == want, "records per document = JSONL records per document")
    check(query(db, "PRAGMA journal_mode")[0][0] == "wal", "WAL mode")
    check(query(db, "PRAGMA user_version")[0][0] >= 1, "schema version set")
    run("-o", jl, "--db", db, corpus)
    check(counts(db) == c1, f"second run: {counts(db)} != {c1}")
    check(per_doc(db, True) == rows1, "second run rewrote nothing (same rowids)")
    print(f"corpus: {c1['documents']} documents, {c1['records']} records, {c1['task_bodies']} task_bodies")

    # the same documents with other records (here: another --doc-date; in
    # practice a rule change) are rewritten, not skipped as unchanged
    run("-o", jl, "--db", db, "--doc-date", "2017-01-01", corpus)
    dates = {d for (d,) in query(db, "SELECT DISTINCT date FROM documents")}
    check(dates == {"2017-01-01"} and per_doc(db, True) != rows1,
          f"records changed with the same sha256: rows rewritten (dates {dates})")
    run("-o", jl, "--db", db, corpus)
    check({d: len(s) for d, s in per_doc(db).items()} == want, "and back")
    rows1 = per_doc(db, True)

    # the JSON column is the JSONL line
    lines = {json.loads(x)["id"]: json.loads(x) for x in open(jl, encoding="utf-8")}
    stored = {i: json.loads(j) for i, j in query(db, "SELECT id, json FROM records")}
    check(stored == lines, "records.json = the JSONL records")

    # 2. one document edited: only its rows change
    name = sorted(os.listdir(corpus))[-1]
    edited = os.path.splitext(name)[0]
    with open(os.path.join(corpus, name), "a", encoding="utf-8") as f:
        f.write("\nCác sở hoàn thành trước ngày 30/6/2026.\n")
    run("-o", jl, "--db", db, corpus)
    rows2 = per_doc(db, True)
    others_same = all(rows2.get(d) == s for d, s in rows1.items() if d != edited)
    check(others_same, "the other documents' rows are untouched")
    check(rows2.get(edited) != rows1.get(edited), "the edited document's rows were rewritten")
    check({d: len(s) for d, s in rows2.items()} == jsonl_counts(jl), "records per document after the edit")
    sha = query(db, "SELECT sha256 FROM documents WHERE doc = ?", edited)[0][0]
    old_sha = [r for r in lines.values() if r["kind"] == "document" and r["doc"] == edited][0]["sha256"]
    check(sha != old_sha, "the edited document's sha256 was updated")

    # 3. kill -9 in the middle of a large batch
    big = os.path.join(tmp, "big")
    os.mkdir(big)
    srcs = sorted(os.listdir(os.path.join(root, "corpus")))
    n = 0
    for k in range(60):
        for s in srcs:
            text = open(os.path.join(root, "corpus", s), encoding="utf-8").read()
            # a small edit per copy: another checksum, the same structure
            text = text.replace("Thành ủy", "Thành ủy", 1) + f"\nBản sao số {k}.\n"
            open(os.path.join(big, f"{k:03d}_{s}"), "w", encoding="utf-8").write(text)
            n += 1
    clean = os.path.join(tmp, "clean.sqlite")
    t0 = time.monotonic()
    # (-o a scratch file, not /dev/null: -o renames a temporary file over it)
    scratch = os.path.join(tmp, "scratch.jsonl")
    run("-o", scratch, "--db", clean, big)
    clean_secs = time.monotonic() - t0
    clean_rows = per_doc(clean)
    check(len(clean_rows) == n, f"clean run: {len(clean_rows)} documents of {n}")

    killed = os.path.join(tmp, "killed.sqlite")
    p = subprocess.Popen([vnx, "extract", "-q", "--rules", RULES, "-o", scratch, "--db", killed, big],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    # kill once a few documents are committed (at least 0.3 s in)
    ndocs = 0
    while time.monotonic() - t0 < 30:
        time.sleep(0.02)
        if time.monotonic() - t0 < 0.3:
            continue
        try:
            ndocs = query(killed, "SELECT count(*) FROM documents")[0][0]
        except sqlite3.Error:
            ndocs = 0
        if ndocs >= 3 or p.poll() is not None:
            break
    p.send_signal(signal.SIGKILL)
    p.wait()
    kill_at = time.monotonic() - t0
    got = per_doc(killed)
    ndocs = len(got)
    print(f"kill -9 after {kill_at:.2f} s (a clean run takes {clean_secs:.2f} s): "
          f"{ndocs} of {n} documents committed")
    check(0 < ndocs < n, f"the kill landed in the middle of the batch ({ndocs} of {n} documents)")
    partial = [d for d, s in got.items() if s != clean_rows.get(d)]
    check(not partial, f"no partial document after kill -9: {partial[:5]}")
    for d in partial[:1]:
        a, b = got[d], clean_rows.get(d, set())
        print(f"  {d}: {len(a)} rows, clean {len(b)}; only after kill: {sorted(a - b)[:2]}; only clean: {sorted(b - a)[:2]}")
    check(query(killed, "PRAGMA integrity_check")[0][0] == "ok", "integrity_check after kill -9")
    check(query(killed, "PRAGMA foreign_key_check") == [], "foreign_key_check after kill -9")
    # every documents row has its records, every record its document
    check(query(killed, "SELECT count(*) FROM documents WHERE doc NOT IN (SELECT doc FROM records)")[0][0] == 0,
          "no document row without its records")
    run("-o", scratch, "--db", killed, big)
    after = per_doc(killed)
    check(after == clean_rows, "after the rerun: the same rows as a clean run")
    check(counts(killed) == counts(clean), f"after the rerun: {counts(killed)} == {counts(clean)}")

finish()
