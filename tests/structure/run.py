#!/usr/bin/env python3
"""structure suite (issue 6): sections, tables and task records on the corpus.

usage: run.py VNEXTRACT SOURCE_ROOT

Checks, on the documents of SOURCE_ROOT/corpus:
  - PHỤ LỤC III of the Q1 2026 report gives exactly 60 task records, labelled
    (1)…(60) in order, each with a lead, and with a deadline wherever the row's
    time cell ("Thời gian thực hiện/hoàn thành") is not empty;
  - no table header row (repeated at page breaks) becomes a task;
  - a row split by a page break is one task ((20), (24)) and the second time
    line of (47) stays with (47);
  - in the May 2026 notice every bolded deadline belongs to a task (its
    `deadline` or one of its `deadlines`) with a responsible body (a lead, or
    the director of "Giao X chỉ đạo:", which is not copied into `lead`), and
    each bolded "trước ngày …" to a task whose lead or director is the body the
    notice assigns it to;
  - in the June 2026 conclusion, items (1)–(4) of 7.1 carry the deadline
    30/6/2026 of the sentence after them, with the bodies of the 7.1 lead-in;
  - every record has a `section`;
  - in a resolution (made here, in a temporary file), what comes before its
    enacting words "QUYẾT NGHỊ:" (the title, the legal basis: "Căn cứ ...",
    "Trên cơ sở ...", "Theo đề nghị ...") gives no task, the items of its
    articles do, and an approval or a closing formula ("Nghị quyết này có
    hiệu lực ...", "... đã được ... thông qua") does not; in a plan, neither
    the national motto, nor the title, nor the opening that cites what the
    plan carries out ("Thực hiện Kế hoạch số ...") is a task, its numbered
    points are; in a letter, neither its subject line ("V/v ..."), nor the
    grounds ("Xét đề nghị của ..."), nor the closing "... thông báo để ...
    biết, thực hiện" is a task;
  - in a task table, departments listed after "Sở:" in a body column get the
    canonical name of their "Sở ..." form from the gazetteer, also when the
    full name is written nowhere else in the document.
The last line is "N passed, N failed"; the exit status is 1 if any check failed.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

Q1 = "2026-04_bao-cao_quy-1-nhiem-vu-quy-2"
MAY = "2026-05-07_thong-bao_btv-nhiem-vu-thang-5"
JUNE = "2026-06-02_thong-bao_ket-luan-so-ket-chinh-quyen-2-cap"

passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what}" + (f": {detail}" if detail else ""))


def extract(vnextract, rules, path):
    r = subprocess.run([vnextract, "extract", "--rules", rules, path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        return None
    return [json.loads(ln) for ln in r.stdout.splitlines() if ln.strip()]


def normalize(vnextract, path):
    r = subprocess.run([vnextract, "normalize", path], stdout=subprocess.PIPE, text=True)
    return r.stdout if r.returncode == 0 else ""


def names(byid, ids):
    out = []
    for i in ids or []:
        b = byid.get(i)
        if b:
            out.append(b.get("canonical") or b.get("norm") or b.get("text"))
    return out


def q1_checks(vnextract, rules, corpus):
    path = os.path.join(corpus, Q1 + ".txt")
    recs = extract(vnextract, rules, path)
    if recs is None:
        check(False, "extract " + Q1)
        return
    byid = {r["id"]: r for r in recs}
    tasks = [r for r in recs if r["kind"] == "task" and r.get("section", "").startswith("PHỤ LỤC III")]
    labels = [t.get("label") for t in tasks]
    want = [f"({i})" for i in range(1, 61)]
    check(len(tasks) == 60, "PHỤ LỤC III gives exactly 60 tasks", f"got {len(tasks)}")
    check(labels == want, "PHỤ LỤC III tasks are (1)…(60) in order",
          f"got {labels[:3]}…{labels[-3:]}")
    check(all(t.get("section") == "PHỤ LỤC III/" + t.get("label", "") for t in tasks),
          "PHỤ LỤC III task sections are 'PHỤ LỤC III/(N)'")
    nolead = [t.get("label") for t in tasks if not t.get("lead")]
    check(not nolead, "every PHỤ LỤC III task has a lead", f"without: {nolead}")
    # rows whose time cell is empty in the source (the deadline cannot come from it)
    empty_time = set()
    for ln in normalize(vnextract, path).splitlines():
        cells = ln.split("\t")
        if re.fullmatch(r"\(\d+\)", cells[0].strip()) and len(cells) > 3 and not cells[3].strip():
            empty_time.add(cells[0].strip())
    nodl = [t.get("label") for t in tasks if not t.get("deadline") and t.get("label") not in empty_time]
    check(not nodl, "every PHỤ LỤC III task with a time cell has a deadline", f"without: {nodl}")
    bad = [t.get("deadline") for t in tasks if t.get("deadline") and t["deadline"] not in byid]
    check(not bad, "task deadlines are ids of deadline records", str(bad[:3]))
    dirs = [t.get("label") for t in tasks if not t.get("director")]
    check(not dirs, "every PHỤ LỤC III task has a director (Cơ quan chỉ đạo)", f"without: {dirs}")
    header = [t for t in recs if t["kind"] == "task" and
              (t.get("text", "").startswith("Nhiệm vụ cụ thể") or "Cơ quan chủ trì" in t.get("text", "")
               or t.get("text", "").startswith("TT"))]
    check(not header, "no header row becomes a task", str([h["line"] for h in header]))
    byl = {t.get("label"): t for t in tasks}
    t20 = byl.get("(20)", {})
    check("mã QR" in t20.get("text", ""), "row (20) continued after the page break is one task")
    t24 = byl.get("(24)", {})
    check(any("xã" in n for n in names(byid, t24.get("support"))),
          "row (24) keeps the support cell continued after the page break",
          str(names(byid, t24.get("support"))))
    t47 = byl.get("(47)", {})
    dl47 = [r for r in recs if r["kind"] == "deadline" and t47 and
            t47["span"][0] <= r["span"][0] < t47["span"][1]]
    check(len(dl47) >= 2 and any("2028" in (r.get("end") or "") for r in dl47),
          "row (47) keeps its second time line", str([r["text"] for r in dl47]))
    t4 = byl.get("(4)", {})
    sup = [byid[i] for i in t4.get("support", []) if i in byid]
    check(any(s.get("norm") == "Sở Xây dựng" for s in sup) and any(s.get("norm") == "Sở Tài chính" for s in sup),
          "'Sở: Xây dựng, Tài chính' splits into two bodies with norm", str([(s["text"], s.get("norm")) for s in sup]))
    prod = [t.get("label") for t in tasks if "product" not in t]
    check(not prod, "table tasks have a product field")
    nosec = [r["kind"] for r in recs if r["kind"] != "document" and "section" not in r]
    check(not nosec, "every record has a section", str(nosec[:5]))


BOLD_LEADS = {
    "trước ngày 13/5/2026": "Đảng ủy Các cơ quan đảng thành phố",
    "trước ngày 18/5/2026": "Ban Tuyên giáo và Dân vận Thành ủy",
    "trước ngày 15/05/2026": "Đảng ủy Ủy ban nhân dân thành phố",
}


def may_checks(vnextract, rules, corpus):
    path = os.path.join(corpus, MAY + ".txt")
    recs = extract(vnextract, rules, path)
    if recs is None:
        check(False, "extract " + MAY)
        return
    byid = {r["id"]: r for r in recs}
    raw = open(path, "rb").read()
    bold = [(m.start(), m.end()) for m in re.finditer(rb"\*\*[^*\n]+\*\*", raw)]
    dls = [r for r in recs if r["kind"] == "deadline" and
           any(r["span"][0] < e and r["span"][1] > s for s, e in bold)]
    tasks = [r for r in recs if r["kind"] == "task"]
    task_of = {}
    for t in tasks:
        for dl in set([t.get("deadline")] + (t.get("deadlines") or [])):
            if dl:
                task_of.setdefault(dl, []).append(t)
    check(len(dls) >= 15, "May notice: bolded deadlines found", f"{len(dls)}")
    orphans = [d["text"] for d in dls
               if not any(t.get("lead") or t.get("director") for t in task_of.get(d["id"], []))]
    check(not orphans, "May notice: every bolded deadline belongs to a task with a lead or director",
          str(orphans))
    seen = set()
    for d in dls:
        want = BOLD_LEADS.get(d["text"])
        if not want:
            continue
        seen.add(d["text"])
        leads = [n for t in task_of.get(d["id"], [])
                 for n in names(byid, (t.get("lead") or []) + (t.get("director") or []))]
        check(want in leads, f"May notice: '{d['text']}' belongs to a task led or directed by {want}",
              str(leads))
    check(seen == set(BOLD_LEADS), "May notice: all bolded 'trước ngày' deadlines seen", str(seen))


def june_checks(vnextract, rules, corpus):
    path = os.path.join(corpus, JUNE + ".txt")
    recs = extract(vnextract, rules, path)
    if recs is None:
        check(False, "extract " + JUNE)
        return
    byid = {r["id"]: r for r in recs}
    tasks = {r.get("section"): r for r in recs if r["kind"] == "task"}
    for i in range(1, 5):
        t = tasks.get(f"II.7.1/({i})")
        dl = byid.get(t.get("deadline")) if t else None
        check(dl is not None and dl.get("end") == "2026-06-30" and "30/6/2026" in dl.get("text", ""),
              f"June conclusion: 7.1 item ({i}) carries 30/6/2026",
              dl.get("text") if dl else "no task or no deadline")
        d = names(byid, t.get("director")) if t else []
        check("Đảng ủy Ủy ban nhân dân thành phố" in d,
              f"June conclusion: 7.1 item ({i}) inherits the director of its lead-in", str(d))
    t = tasks.get("II.7.2/(5)")
    check(t is not None and not t.get("deadline"), "June conclusion: 7.2 (5) gets no deadline from 7.1")


def fixture_task_lines(vnextract, rules, name, text):
    """The lines of the task records extracted from text, written to a
    temporary file called name."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        recs = extract(vnextract, rules, path) or []
    return sorted(r["line"] for r in recs if r["kind"] == "task")


RESOLUTION = """HỘI ĐỒNG NHÂN DÂN
TỈNH HÀ GIANG
NGHỊ QUYẾT
Về chất vấn tại kỳ họp thứ Năm
HỘI ĐỒNG NHÂN DÂN TỈNH HÀ GIANG
Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;
Căn cứ Luật Hoạt động giám sát ngày 20 tháng 11 năm 2015;
Trên cơ sở kết quả chất vấn tại Kỳ họp thứ Năm, Hội đồng nhân dân khóa XVII,
Theo đề nghị của Sở Tài chính tại Tờ trình số 12/TTr-STC ngày 10/4/2026;
QUYẾT NGHỊ:
Điều 1. Giao Ủy ban nhân dân tỉnh chỉ đạo thực hiện các nhiệm vụ sau:
1. Sở Tài chính chủ trì rà soát kinh phí, hoàn thành trước ngày 30/6/2026.
2. Sở Xây dựng điều chỉnh kế hoạch trong tháng 8/2026.
Điều 2. Tán thành Báo cáo số 40/BC-HĐND ngày 03/7/2026 của Thường trực Hội đồng nhân dân tỉnh.
Điều 3. Nghị quyết này có hiệu lực từ ngày ký.
Nghị quyết này đã được Hội đồng nhân dân tỉnh khóa XVII, Kỳ họp thứ Năm thông qua ngày 12/7/2026.
"""


PLAN = """ỦY BAN NHÂN DÂN
TỈNH HÀ GIANG
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
KẾ HOẠCH
Tổ chức Tháng hành động vì an toàn thực phẩm năm 2026
Thực hiện Kế hoạch số 128/KH-UBND ngày 30/3/2026 của Ủy ban nhân dân tỉnh, Ủy ban nhân dân tỉnh ban hành Kế hoạch như sau:
I. NHIỆM VỤ
1. Sở Y tế chủ trì tổ chức kiểm tra, hoàn thành trước ngày 30/6/2026.
2. Thực hiện chế độ báo cáo định kỳ hằng tháng.
"""


LETTER = """VĂN PHÒNG CHÍNH PHỦ
Số: 3722/VPCP-CN
V/v cơ chế đặc thù xây dựng công trình
khẩn cấp đối với Dự án kéo dài tuyến Metro
Kính gửi: Ủy ban nhân dân tỉnh Đồng Nai.
Xét đề nghị của Ủy ban nhân dân tỉnh Đồng Nai tại văn bản số 92/TTr-UBND ngày 21/4/2026,
Phó Thủ tướng có ý kiến như sau:
Giao các Bộ: Công an, Tài chính, Xây dựng có ý kiến gửi Ủy ban nhân dân tỉnh trước ngày 10/5/2026.
Văn phòng Chính phủ thông báo để các Bộ, cơ quan biết, thực hiện./.
"""


TABLE_PLAN = "KẾ HOẠCH\nThực hiện nhiệm vụ năm 2026\nI. NHIỆM VỤ\n" \
    "TT\tNhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian hoàn thành\n" \
    "1\tRà soát quy hoạch\tỦy ban nhân dân tỉnh\tSở: Xây dựng, Nông nghiệp và Môi trường\tQuý III/2026\n"


def table_canonical_checks(vnextract, rules):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "kh-bang.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(TABLE_PLAN)
        recs = extract(vnextract, rules, path) or []
    got = {r["text"]: r.get("canonical") for r in recs if r["kind"] == "body" and r.get("role") == "support"}
    check(got == {"Xây dựng": "Sở Xây dựng", "Nông nghiệp và Môi trường": "Sở Nông nghiệp và Môi trường"},
          "table: 'Sở: Xây dựng, Nông nghiệp và Môi trường' gives two supports with their canonical names",
          str(got))


def letter_checks(vnextract, rules):
    lines = fixture_task_lines(vnextract, rules, "cv.txt", LETTER)
    check(not [n for n in lines if n in (3, 4, 6, 9)],
          "letter: the subject line 'V/v ...' (wrapped), 'Xét đề nghị ...' and 'thông báo để ... biết' "
          "are no task", str(lines))
    check(8 in lines, "letter: the assignment is a task", str(lines))


def plan_checks(vnextract, rules):
    lines = fixture_task_lines(vnextract, rules, "kh.txt", PLAN)
    check(4 not in lines and 6 not in lines and 7 not in lines,
          "plan: the national motto, the title and the opening 'Thực hiện Kế hoạch số ...' are no task",
          str(lines))
    check(9 in lines and 10 in lines, "plan: its numbered points are tasks", str(lines))


def resolution_checks(vnextract, rules):
    lines = fixture_task_lines(vnextract, rules, "nq.txt", RESOLUTION)
    check(not [n for n in lines if n <= 10], "resolution: no task from its title or legal basis (lines 1-10)",
          str(lines))
    check(12 in lines and 13 in lines, "resolution: the items of its first article are tasks", str(lines))
    check(not [n for n in lines if n >= 14],
          "resolution: an approval ('Tán thành Báo cáo ...') and the closing formulas are no task",
          str(lines))


def main(argv):
    if len(argv) != 3:
        print(__doc__)
        return 2
    vnextract, root = argv[1], argv[2]
    rules = os.path.join(root, "rules")
    corpus = os.path.join(root, "corpus")
    q1_checks(vnextract, rules, corpus)
    may_checks(vnextract, rules, corpus)
    june_checks(vnextract, rules, corpus)
    resolution_checks(vnextract, rules)
    plan_checks(vnextract, rules)
    letter_checks(vnextract, rules)
    table_canonical_checks(vnextract, rules)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
