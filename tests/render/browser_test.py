#!/usr/bin/env python3
"""The render report in headless Chromium, driven over the DevTools protocol
(--remote-debugging-pipe: NUL-separated JSON on fds 3 and 4, so no port and
no websocket), with the standard library only.

usage: browser_test.py VNEXTRACT SOURCE_ROOT BUILD_DIR RENDER_FIXTURE
Skips (exit 77) when /usr/bin/chromium is missing or does not start.
Leaves BUILD_DIR/render-screenshot.png (and -text.png) for a human to look at.
Prints "ok - ..." / "not ok - ..." and ends with "N passed, N failed".
"""
import base64
import json
import os
import select
import subprocess
import sys
import tempfile
import time

VNX, ROOT, OUT, FIXTURE = sys.argv[1:5]
CHROMIUM = "/usr/bin/chromium"
AS_OF = "2026-05-15"
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


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


class Chromium:
    """A browser over --remote-debugging-pipe."""

    def __init__(self):
        self.profile = tempfile.TemporaryDirectory()
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds():  # the protocol is on the child's fds 3 (in) and 4 (out)
            r, w = os.dup(to_chrome_r), os.dup(from_chrome_w)  # in case either is 3 or 4
            os.dup2(r, 3)  # dup2 clears close-on-exec
            os.dup2(w, 4)

        args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-extensions", "--mute-audio",
                "--host-resolver-rules=MAP * ~NOTFOUND", "--remote-debugging-pipe",
                f"--user-data-dir={self.profile.name}", "about:blank"]
        # close_fds would close 3 and 4 after preexec_fn has set them up
        self.proc = subprocess.Popen(args, preexec_fn=fds, close_fds=False,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            m = self.read(deadline)
            if m is None:
                raise TimeoutError(method)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0 or not select.select([self.from_chrome], [], [], left)[0]:
                return None
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                return None
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def wait_event(self, method, session, timeout=30):
        deadline = time.time() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method and e.get("sessionId") == session:
                    return self.events.pop(i)
            m = self.read(deadline)
            if m is None:
                raise TimeoutError(method)
            self.events.append(m)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.profile.cleanup()


class Page:
    def __init__(self, b, url):
        self.b = b
        tid = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.s = b.send("Target.attachToTarget", {"targetId": tid, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": 1280, "height": 1600, "deviceScaleFactor": 1, "mobile": False})
        self.url = url
        self.send("Page.navigate", {"url": url})
        b.wait_event("Page.loadEventFired", self.s)

    def send(self, method, params=None):
        return self.b.send(method, params, self.s)

    def js(self, expr):
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expr[:60]}...: {r['exceptionDetails']}")
        return r["result"].get("value")

    def click(self, selector):
        """A real mouse click at the centre of the element."""
        box = self.js(f"(function(){{var e=document.querySelector({json.dumps(selector)});"
                      "e.scrollIntoView({block:'center'});var b=e.getBoundingClientRect();"
                      "return [b.left+b.width/2,b.top+b.height/2];})()")
        for t in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent",
                      {"type": t, "x": box[0], "y": box[1], "button": "left", "clickCount": 1})

    def hover(self, selector):
        box = self.js(f"(function(){{var e=document.querySelector({json.dumps(selector)});"
                      "e.scrollIntoView({block:'center'});var b=e.getClientRects()[0];"
                      "return [b.left+Math.min(4,b.width/2),b.top+b.height/2];})()")
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": box[0], "y": box[1]})

    def problems(self):
        """Console errors, exceptions and requests other than the page itself."""
        errs, reqs = [], []
        for e in self.b.events:
            if e.get("sessionId") != self.s:
                continue
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                errs.append(p["exceptionDetails"].get("text", "") + " " +
                            str(p["exceptionDetails"].get("exception", {}).get("description", "")))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                errs.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                errs.append(p["entry"].get("text", ""))
            elif m == "Network.requestWillBeSent":
                u = p["request"]["url"]
                if u != self.url and not u.startswith("data:"):
                    reqs.append(u)
        return errs, reqs

    def screenshot(self, path):
        png = base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])
        with open(path, "wb") as f:
            f.write(png)
        print(f"screenshot: {path}")


def expected(recs):
    """span records, dated timeline items and overdue ones, from JSON Lines"""
    by_doc = {}
    for r in recs:
        by_doc.setdefault(r["doc"], []).append(r)
    spans = sum(1 for r in recs if r["kind"] != "document")
    dated = overdue = 0
    for rs in by_doc.values():
        ids = {r["id"]: r for r in rs}
        tasks = [r for r in rs if r["kind"] == "task"]
        items = [ids.get(t.get("deadline")) for t in tasks] if tasks else [r for r in rs if r["kind"] == "deadline"]
        for d in items:
            if d and (d.get("start") or d.get("end")):
                dated += 1
                overdue += 1 if d.get("end") and d["end"] < AS_OF else 0
    return spans, dated, overdue


def check_sort(p, what, col_name):
    """Clicks the header; the rows must then be in order of its keys."""
    # the table whose column has the most distinct keys shows a reordering best
    idx = p.js(f"""(function(){{var best=-1,n=0;document.querySelectorAll('table.sortable').forEach(function(t,i){{
      var c=Array.prototype.findIndex.call(t.tHead.rows[0].cells,function(h){{return h.textContent.trim()==={json.dumps(col_name)};}});
      var k=new Set(Array.prototype.map.call(t.tBodies[0].rows,function(r){{return r.cells[c].getAttribute('data-sort');}}));
      if(k.size>n){{n=k.size;best=i;}}}});return best;}})()""")
    if idx is None or idx < 0:
        check(False, f"{what}: a sortable table")
        return
    p.js(f"document.querySelectorAll('table.sortable')[{idx}].id='under-test'")
    col = p.js(f"""Array.prototype.findIndex.call(document.getElementById('under-test').tHead.rows[0].cells,
      function(h){{return h.textContent.trim()==={json.dumps(col_name)};}})""")
    keys = f"""Array.prototype.map.call(document.getElementById('under-test').tBodies[0].rows,
      function(r){{return [r.cells[{col}].getAttribute('data-sort'), r.getAttribute('data-idx')];}})"""
    before = p.js(keys)
    p.click(f"#under-test thead th:nth-child({col + 1}) button")
    asc = p.js(keys)
    p.click(f"#under-test thead th:nth-child({col + 1}) button")
    desc = p.js(keys)

    def ordered(rows, rev):
        ks = [k for k, _ in rows if k]
        blanks_last = all(k == "" for k, _ in rows[len(ks):])
        cmp = ks == sorted(ks, key=natural, reverse=rev)
        return blanks_last and cmp

    check(asc != before and ordered(asc, False), f"{what}: click on '{col_name}' sorts ascending",
          f"{[k for k, _ in before][:8]} -> {[k for k, _ in asc][:8]}")
    check(ordered(desc, True), f"{what}: a second click sorts descending", [k for k, _ in desc][:8])
    check(p.js(f"document.querySelector('#under-test thead th:nth-child({col + 1})').getAttribute('aria-sort')")
          == "descending", f"{what}: aria-sort follows")


def natural(s):
    """what localeCompare(…, {numeric:true}) does with our keys: digit runs as numbers"""
    import re
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.findall(r"\d+|\D+", s)]


def main():
    if not os.access(CHROMIUM, os.X_OK):
        skip(f"{CHROMIUM} not found (Debian package 'chromium'); the report is not checked in a browser")
    os.makedirs(OUT, exist_ok=True)
    report = os.path.join(OUT, "render-report.html")
    rules = os.path.join(ROOT, "rules")
    corpus = os.path.join(ROOT, "corpus")
    p = subprocess.run([VNX, "render", "--rules", rules, corpus, "-o", report, "--as-of", AS_OF],
                       capture_output=True, text=True)
    check(p.returncode == 0, "render corpus", p.stderr)
    p = subprocess.run([VNX, "extract", "--rules", rules, "-q", corpus], capture_output=True, text=True)
    recs = [json.loads(ln) for ln in p.stdout.splitlines() if ln.strip()]
    p = subprocess.run([FIXTURE, OUT], capture_output=True, text=True)
    check(p.returncode == 0, "render fixture (every kind)", p.stdout + p.stderr)
    kinds = [json.loads(ln) for ln in open(os.path.join(OUT, "kinds.jsonl"), encoding="utf-8")]

    try:
        b = Chromium()
        version = b.send("Browser.getVersion", timeout=60)
    except Exception as e:  # noqa: BLE001 - any failure to start is a skip
        skip(f"{CHROMIUM} does not start headless ({e!r})")
    print(f"# {version.get('product')}")
    try:
        for name, path, rs in (("corpus", report, recs), ("fixture", os.path.join(OUT, "kinds.html"), kinds)):
            url = "file://" + os.path.abspath(path)
            pg = Page(b, url)
            spans, dated, overdue = expected(rs)
            n = pg.js("document.querySelectorAll('mark').length")
            check(n == spans, f"{name}: one highlighted <mark> per span record ({spans})", n)
            n = pg.js("document.querySelectorAll('mark[data-id][tabindex]').length")
            check(n == spans, f"{name}: every mark has a record id and is focusable", n)
            n = pg.js("document.querySelectorAll('svg.timeline .tl-item').length")
            check(n == dated, f"{name}: one timeline mark per dated task/deadline ({dated})", n)
            n = pg.js("document.querySelectorAll('svg.timeline .tl-item.overdue').length")
            check(n == overdue, f"{name}: overdue marks styled apart ({overdue} end before {AS_OF})", n)
            t = pg.js("[document.querySelectorAll('svg.timeline').length,"
                      "document.querySelectorAll('svg.timeline line.today').length]")
            check(t[0] > 0 and t[0] == t[1], f"{name}: each timeline has its as-of line", t)
            fill = pg.js("(function(){var a=document.querySelector('.tl-item.overdue'),"
                         "b=document.querySelector('.tl-item:not(.overdue)');"
                         "return a&&b?[getComputedStyle(a).fill,getComputedStyle(b).fill]:null;})()")
            check(fill is None or fill[0] != fill[1], f"{name}: overdue and open marks look different", fill)
            n = pg.js("document.querySelectorAll('#overview tbody tr a[href^=\"#doc-\"]').length")
            m = pg.js("document.querySelectorAll('section.doc').length")
            check(n == m and m > 0, f"{name}: the overview links every document section", [n, m])

            # popover: on focus, and on hover
            pg.js("document.querySelector('mark[data-id]').focus()")
            pop = pg.js("(function(){var p=document.getElementById('pop');return [p.hidden,p.textContent];})()")
            rule = pg.js("(function(){var m=document.querySelector('mark[data-id]');"
                         "return JSON.parse(m.closest('section').querySelector('script.recs').textContent)"
                         "[m.getAttribute('data-id')].rule;})()")
            check(not pop[0] and rule in pop[1], f"{name}: focus on a mark shows its record", pop)
            pg.js("document.activeElement.blur()")
            pg.hover("mark.k-deadline")
            pop = pg.js("(function(){var p=document.getElementById('pop');return [p.hidden,p.textContent];})()")
            check(not pop[0] and "deadline" in pop[1], f"{name}: hover on a mark shows its record", pop)
            if name == "fixture":
                pg.js("document.querySelector('mark.k-task').focus()")
                pop = pg.js("document.getElementById('pop').textContent")
                check("Văn phòng Thành ủy" in pop and "2026" in pop,
                      "fixture: a task's popover names its lead body and deadline", pop)

            pg.js("document.activeElement&&document.activeElement.blur()")
            check_sort(pg, name, "Deadline")
            if name == "fixture":
                check_sort(pg, name, "Lead body")
                check_sort(pg, name, "Section")
            if name == "corpus":
                pg.js("window.scrollTo(0,0)")
                pg.js("document.activeElement&&document.activeElement.blur()")
                pg.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": 1, "y": 1})
                pg.screenshot(os.path.join(OUT, "render-screenshot.png"))
                # a stretch of text with highlights, popover open
                pg.js("(function(){var m=document.querySelectorAll('#doc-1 mark.k-deadline')[1]||"
                      "document.querySelector('mark.k-deadline');m.scrollIntoView({block:'center'});})()")
                pg.hover("#doc-1 mark.k-deadline")
                pg.screenshot(os.path.join(OUT, "render-screenshot-text.png"))
            errs, reqs = pg.problems()
            check(not errs, f"{name}: no console errors", "\n".join(errs))
            check(not reqs, f"{name}: no network requests besides the file itself", "\n".join(reqs))
    finally:
        b.close()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
