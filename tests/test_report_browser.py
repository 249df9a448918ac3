"""report.html in a real browser (headless Chromium): it loads without a script error, the
students table sorts by a heading's click (numbers as numbers), and a screenshot is taken
(benchmarks/report.png when AUTOGRADER_SCREENSHOT is set, for a person to look at)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (apt-get install chromium)")

CLICK = """<script>
window.addEventListener("load", function () {
  var heading = Array.prototype.find.call(document.querySelectorAll("table.sortable th"),
                                          function (th) { return th.textContent.indexOf("score /") === 0; });
  heading.click();
  var first = [].map.call(document.querySelectorAll("table.sortable tbody tr"), function (r) { return r.cells[0].textContent; });
  heading.click();
  var second = [].map.call(document.querySelectorAll("table.sortable tbody tr"), function (r) { return r.cells[0].textContent; });
  var out = document.createElement("pre");
  out.id = "sorted";
  out.textContent = "ASC=" + first.join("|") + ";DESC=" + second.join("|");
  document.body.appendChild(out);
});
</script>"""


def _outcomes():
    from autograder.classroom.export import Entry
    from autograder.classroom.outcomes import Outcome

    def test(number, score, most=2.0):
        return {"name": f"test {number} with a long name that must wrap rather than be cut at the edge of the figure",
                "number": number, "score": score, "max_score": most, "status": "passed" if score == most else "failed",
                "visibility": "visible", "output": "" if score == most else "Your answer is <b>not</b> right."}

    made = []
    for name, scores in (("Zoe", (2, 2, 2)), ("Adam", (0, 1, 2)), ("Mia", (2, 0, 0)), ("Bo", (2, 2, 0))):
        tests = [test(f"1.{i + 1}", s) for i, s in enumerate(scores)]
        data = {"score": float(sum(scores)), "tests": tests, "output": "Demo: results",
                "extra_data": {"autograder": {"status": "ok", "complete": True}}}
        made.append(Outcome(Entry(name.lower(), Path(name), [{"name": name, "sid": name}]), data, "ok", 1.5))
    return made


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                           "--enable-logging=stderr", "--v=0", *args], capture_output=True, text=True, timeout=120)


def test_report_renders_sorts_and_has_no_script_error(tmp_path):
    from autograder.course import load_assignment
    from autograder.classroom.report import write_report

    out = tmp_path / "out"
    out.mkdir()
    write_report(load_assignment(ROOT, "kl_asymmetry"), _outcomes(), out / "report.html")
    probe = out / "probe.html"
    probe.write_text((out / "report.html").read_text().replace("</body>", CLICK + "</body>"))
    dom = _chromium("--dump-dom", probe.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r"<pre id=\"sorted\">ASC=([^;]*);DESC=([^<]*)</pre>", dom.stdout)
    assert found, dom.stdout[-2000:]
    assert found.group(1).split("|") == ["Mia", "Adam", "Bo", "Zoe"]  # 2, 3, 4, 6 points
    assert found.group(2).split("|") == ["Zoe", "Bo", "Adam", "Mia"]
    errors = [line for line in dom.stderr.splitlines() if "CONSOLE" in line and ("Error" in line or "Uncaught" in line)]
    assert not errors, errors
    assert "&lt;b&gt;not&lt;/b&gt;" in (out / "feedback" / "adam.html").read_text()  # the message is text, not HTML
    shot = Path(os.environ.get("AUTOGRADER_SCREENSHOT", tmp_path / "report.png"))
    taken = _chromium(f"--screenshot={shot}", "--window-size=1200,2400", (out / "report.html").as_uri())
    assert taken.returncode == 0 and shot.stat().st_size > 20_000, taken.stderr[-2000:]
