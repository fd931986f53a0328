#!/usr/bin/env python3
"""Deterministic benchmark corpus: documents of 2-200 KB built from the corpus
documents, with dates, numbers and body names varied, up to a total size.

usage: gen_corpus.py SIZE_MB OUTDIR [--seed N] [--corpus DIR] [--max-kb N]

The same arguments always give the same bytes (random.Random(seed)), so
benchmark runs on different days compare like with like.
"""
import argparse
import os
import random
import re

BODIES = [
    "Sở Tài chính", "Sở Xây dựng", "Sở Nội vụ", "Sở Y tế", "Sở Giáo dục và Đào tạo",
    "Sở Công Thương", "Sở Nông nghiệp và Môi trường", "Ban Tổ chức Thành ủy",
    "Ban Tuyên giáo và Dân vận Thành ủy", "Ủy ban Kiểm tra Thành ủy", "Văn phòng Thành ủy",
    "Công an thành phố", "Bộ Chỉ huy Quân sự thành phố", "Ủy ban nhân dân thành phố",
]
BODY_RE = re.compile("|".join(re.escape(b) for b in sorted(BODIES, key=len, reverse=True)))
DATE_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(20\d\d)\b")
NUM_RE = re.compile(r"\b\d{1,3}(?:\.\d{3})+(?:,\d+)?\b|\b\d+,\d+\b")


def vary(text, rng):
    def date(m):
        month = rng.randint(1, 12)
        day = rng.randint(1, 28)
        return f"{day}/{month}/{rng.choice(['2025', '2026', '2027'])}"

    def num(m):
        s = m.group(0)
        return "".join(str(rng.randint(0, 9)) if c.isdigit() else c for c in s).lstrip("0") or "1"

    text = DATE_RE.sub(date, text)
    text = NUM_RE.sub(num, text)
    return BODY_RE.sub(lambda m: rng.choice(BODIES), text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("size_mb", type=float)
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--corpus", default=os.path.join(os.path.dirname(__file__), "..", "..", "corpus"))
    ap.add_argument("--max-kb", type=int, default=200)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    sources = []
    for name in sorted(os.listdir(a.corpus)):
        if name.endswith((".txt", ".md")):
            with open(os.path.join(a.corpus, name), encoding="utf-8") as f:
                sources.append(f.read().split("\n"))
    os.makedirs(a.outdir, exist_ok=True)
    target = int(a.size_mb * 1e6)
    total = 0
    i = 0
    while total < target:
        lines = rng.choice(sources)
        want = min(rng.randint(2, a.max_kb) * 1000, target - total)
        start = rng.randrange(len(lines))
        out, size = [], 0
        while size < want:
            ln = lines[start % len(lines)]
            start += 1
            out.append(ln)
            size += len(ln.encode("utf-8")) + 1
        body = vary("\n".join(out), rng).encode("utf-8")
        path = os.path.join(a.outdir, f"d{i // 1000:03d}", f"doc{i:06d}.txt")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(body)
        total += len(body)
        i += 1
    print(f"{i} documents, {total / 1e6:.1f} MB in {a.outdir}")


if __name__ == "__main__":
    main()
