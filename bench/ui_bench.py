"""Workspace speed in a real browser (issue 16): a 100k-character article with 3,000 spans, and the
ordinary article of 70 spans, with today's scripts and with those before the incremental renderer.

    python bench/ui_bench.py [--runs 5] [--changes 8] [--before REV | --no-before]

Builds its own SQLite database (bench/_common.fresh_database) holding the two layers
(synthetic/long_article.py), serves the project with `manage.py runserver` on a free loopback port,
logs in through the login form in Chromium (Playwright, headless) and measures, median over the runs:

  open      navigation start -> the spans rendered and the next frame drawn (an init script's
            MutationObserver sees the first span element, then requestAnimationFrame + a task)
  ready     navigation start -> the page says it is ready (body[data-ready]: the side panels
            filled, threads and suggestions loaded, unsaved backups checked) and the next frame drawn
  add, relabel, delete
            the key's event time -> the next frame after the change was rendered and laid out:
            a word selected in the middle paragraph and a label's key, another label's key, Delete
  scroll    a scripted scroll through the whole article, one step a frame: Chromium's long tasks
            (PerformanceObserver 'longtask') meanwhile, how many last over 50 ms and the longest
  opening tasks
            the long tasks from navigation until ready (the page's first script task, the text's
            idle slices, the panels): how many last over 50 ms and the longest, medians per load

"before" serves REV's static/js/ and static/css/ in place of today's (Playwright's routing), so both
are measured in one run on the same machine; REV defaults to the commit before the incremental
renderer (the server, its page and its API are today's in both). Not a timed test: it prints a
table (figures in bench/README.md).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import OUT, ROOT, free_port, fresh_database, run_child

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
BEFORE = "5f0605f~1"  # the last commit whose workspace re-rendered the whole text and panels on every change
SIZES = {"3,000 spans, 100k characters": (3000, 100_000), "70 spans": (70, 0)}
PASSWORD = "bench-only"

# Runs in the page before its scripts: the moments the benchmark reads back through window.__bench.
PROBE = """
window.__bench = { longtasks: [], opening: [], opened: null, ready: null, frames: [] };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    window.__bench.longtasks.push(entry.duration);
    if (window.__bench.ready === null) window.__bench.opening.push(entry.duration);
  }
}).observe({ type: "longtask", buffered: true });
const afterFrame = (fn) => requestAnimationFrame(() => setTimeout(fn, 0));
const watch = new MutationObserver(() => {
  if (!document.querySelector("[data-article-text] .ann")) return;
  watch.disconnect();
  afterFrame(() => { window.__bench.opened = performance.now(); });
});
watch.observe(document, { childList: true, subtree: true });
const ready = new MutationObserver(() => {
  if (document.body?.dataset.ready !== "true") return;
  ready.disconnect();
  afterFrame(() => { window.__bench.ready = performance.now(); });
});
ready.observe(document, { attributes: true, attributeFilter: ["data-ready"], subtree: true });
window.addEventListener("keydown", (event) => {
  const start = event.timeStamp;
  afterFrame(() => window.__bench.frames.push(performance.now() - start));
}, true);
"""

SELECT_WORD = """([paragraph, word]) => {
  const p = document.querySelector("[data-article-text]").children[paragraph];
  p.scrollIntoView({ block: "center" });
  const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(word);
    if (at >= 0 && !node.parentElement.closest(".ann")) {
      getSelection().setBaseAndExtent(node, at, node, at + word.length);
      return true;
    }
  }
  return false;
}"""

SCROLL = """async () => {
  const text = document.querySelector("[data-article-text]");
  let scroller = text.parentElement;
  while (scroller && !(scroller.scrollHeight > scroller.clientHeight + 10
                       && /auto|scroll/.test(getComputedStyle(scroller).overflowY))) scroller = scroller.parentElement;
  scroller = scroller || document.scrollingElement;
  scroller.scrollTop = 0;
  await new Promise((resolve) => setTimeout(resolve, 300));
  window.__bench.longtasks = [];
  const start = performance.now();
  let frames = 0;
  await new Promise((resolve) => {
    const step = () => {
      frames++;
      const before = scroller.scrollTop;
      scroller.scrollTop += 300;
      if (scroller.scrollTop === before) return resolve();
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { ms: performance.now() - start, frames, longtasks: window.__bench.longtasks.slice() };
}"""


def build() -> None:
    """In a child process on the bench database: migrate, the project, the annotator, both layers."""
    import django

    django.setup()
    from django.core.management import call_command

    from annotate.models import Membership
    from synthetic.builders import make_project, make_user
    from synthetic.long_article import TARGET, make_long_layer

    call_command("migrate", verbosity=0)
    project = make_project("bench-ui", targets=[TARGET])
    user = make_user("bench-annotator", password=PASSWORD)
    Membership.objects.create(project=project, user=user, role=Membership.Role.ANNOTATOR)
    assignments = {}
    for name, (n_spans, n_chars) in SIZES.items():
        assignment, layer = make_long_layer(project, user, n_spans=n_spans, n_chars=n_chars)
        text = layer.article.text
        assignments[name] = {"id": assignment.pk, "chars": len(text),
                             "paragraphs": sum(1 for line in text.split("\n") if line)}
    print(json.dumps({"user": user.username, "assignments": assignments}))


def serve(database_url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, DEBUG="1", DJANGO_SETTINGS_MODULE="config.settings")
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/login/", timeout=2)
            return server, base
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("the server did not start")


def old_static(rev: str):
    """A route handler serving static/js/ and static/css/ as they were at `rev` (the workspace's scripts
    then, whole: today's workspace.js imports what REV's render.js does not export); None when git
    cannot show REV."""
    if subprocess.run(["git", "cat-file", "-e", f"{rev}:static/js/render.js"], cwd=ROOT).returncode != 0:
        return None
    cache = {}

    def handle(route):
        path = "static/" + route.request.url.split("/static/", 1)[1].split("?", 1)[0]
        if path not in cache:
            shown = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True)
            cache[path] = shown.stdout if shown.returncode == 0 else None
        if cache[path] is None:
            return route.fulfill(status=404, body="")
        kind = "application/javascript" if path.endswith(".js") else "text/css"
        return route.fulfill(body=cache[path], content_type=kind)
    return handle


def wait_until(page, expression: str, timeout: float = 60.0) -> None:
    """Poll `expression` in the page (wait_for_function evaluates a string, which the page's CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(expression)
        page.wait_for_timeout(20)


def measure(context, url: str, *, runs: int, changes: int, paragraphs: int) -> dict:
    opens, readies, scrolls, frames = [], [], [], {"add": [], "relabel": [], "delete": []}
    opening = []  # per load, the long tasks until ready (the text drawn in slices, the panels filled)
    for run in range(runs):
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("body[data-ready=true]", timeout=120_000)
        wait_until(page, "window.__bench.opened !== null")
        opens.append(page.evaluate("window.__bench.opened"))
        wait_until(page, "window.__bench.ready !== null")
        readies.append(page.evaluate("window.__bench.ready"))
        opening.append(page.evaluate("window.__bench.opening"))
        if run == 0:
            for i in range(changes):
                # The Arabic sentence closing a paragraph in the middle: no span there yet.
                middle = paragraphs // 2 + i % 3
                assert page.evaluate(SELECT_WORD, [middle, "الوزير"]), "no free word to annotate"
                page.wait_for_timeout(100)  # the selection's own handlers (debounced) settle
                for kind, key in (("add", "c"), ("relabel", "e"), ("delete", "Delete")):
                    seen = page.evaluate("window.__bench.frames.length")
                    page.keyboard.press(key)
                    wait_until(page, f"window.__bench.frames.length > {seen}")
                    frames[kind].append(page.evaluate("window.__bench.frames.at(-1)"))
                    page.wait_for_selector('[data-save-state="saved"]', timeout=30_000)
        scrolls.append(page.evaluate(SCROLL))
        page.close()
    long_tasks = [d for s in scrolls for d in s["longtasks"]]
    return {
        "open": statistics.median(opens),
        "ready": statistics.median(readies),
        **{kind: statistics.median(values) for kind, values in frames.items()},
        "scroll ms": statistics.median(s["ms"] for s in scrolls),
        "long tasks > 50 ms": sum(1 for d in long_tasks if d > 50) / len(scrolls),
        "longest task": max(long_tasks, default=0.0),
        "opening tasks > 50 ms": statistics.median(sum(1 for d in tasks if d > 50) for tasks in opening),
        "opening longest": statistics.median(max(tasks, default=0.0) for tasks in opening),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="page loads (and scrolls) per article and render.js")
    parser.add_argument("--changes", type=int, default=8, help="add + relabel + delete cycles, in the first load")
    parser.add_argument("--before", default=BEFORE, help="the git revision whose render.js is 'before'")
    parser.add_argument("--no-before", action="store_true", help="measure today's render.js only")
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        return build()
    from playwright.sync_api import sync_playwright

    old = None if args.no_before else old_static(args.before)
    variants = {"after": None, **({"before": old} if old else {})}
    results = {}
    OUT.mkdir(parents=True, exist_ok=True)
    with fresh_database("sqlite") as database_url:
        built = run_child([str(Path(__file__)), "--build"], database_url)
        server, base = serve(database_url)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for variant, handler in variants.items():
                    context = browser.new_context(viewport={"width": 1440, "height": 900})
                    context.add_init_script(PROBE)
                    if handler:
                        context.route("**/static/js/**", handler)
                        context.route("**/static/css/**", handler)
                    page = context.new_page()
                    page.goto(base + "/login/")
                    page.fill('input[name="username"]', built["user"])
                    page.fill('input[name="password"]', PASSWORD)
                    page.click('button[type="submit"]')
                    page.wait_for_load_state()
                    page.close()
                    for name, article in built["assignments"].items():
                        results[(name, variant)] = measure(context, f"{base}/work/{article['id']}/", runs=args.runs,
                                                           changes=args.changes, paragraphs=article["paragraphs"])
                        print(name, variant, results[(name, variant)], file=sys.stderr, flush=True)
                    context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)

    print(f"Chromium headless, median of {args.runs} loads and {args.changes} changes; before = {args.before}\n")
    for name, article in built["assignments"].items():
        print(f"{name}: {article['chars']:,} characters, {article['paragraphs']} paragraphs")
    columns = ["open", "ready", "add", "relabel", "delete", "scroll ms", "long tasks > 50 ms", "longest task",
               "opening tasks > 50 ms", "opening longest"]
    print(f"\n{'article':<32} {'render.js':<9} " + " ".join(f"{c:>18}" for c in columns))
    for (name, variant), figures in results.items():
        print(f"{name:<32} {variant:<9} " + " ".join(f"{figures[c]:>18.1f}" for c in columns))


if __name__ == "__main__":
    main()
