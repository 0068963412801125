"""Large courses and catalogues (issue 11), measured side by side in one run.

Build side, each figure in a fresh process so that peak memory belongs to that run alone:
  - the floor: markdown-it-py rendering every lesson of a 1,000-lesson course and deflating the HTML into a zip;
  - a cold build of that course in all five formats, and in one format (no cache), on every core (as
    `coursebuild build` gives a single course) and on one (`-j 1`);
  - an incremental build: one lesson edited after a cached build, all five formats rebuilt (a fresh process,
    as `coursebuild build` runs after a save), and the same inside a running process (as `build --watch` runs);
  - growth: one format, cold, from 1,000 to 10,000 lessons;
  - a catalogue of 100 courses x 100 lessons, `coursebuild build -j 1` against `-j 2`.
Learner side, in headless Chromium (Debian's): the 1,000-lesson course's web package against the 12-lesson
foundational course: first lesson interactive, moving to the next lesson, opening a lesson far away, and
what the first load transfers (gzipped, as a web server or LMS would send it).
Preview: from a save of one lesson of the 1,000-lesson course to the rebuilt course in the preview page.

    .venv/bin/python benchmarks/bench_large_course.py                 # everything (about 4 minutes)
    .venv/bin/python benchmarks/bench_large_course.py --only build learner
"""

from __future__ import annotations

import argparse
import functools
import gzip
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import machine, make_course  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
FIVE = ["scorm12", "scorm2004", "cmi5", "xapi", "web"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def edit_one_lesson(course: Path, n: int = 0) -> None:
    lesson = sorted((course / "lessons").glob("*.md"))[len(list((course / "lessons").glob("*.md"))) // 2]
    lesson.write_text(
        lesson.read_text(encoding="utf-8") + f"\nAn edit made by the benchmark ({n}).\n", encoding="utf-8"
    )


def child(mode: str, course: Path, extra: str) -> None:
    """Runs in its own process; prints seconds and peak RSS as JSON."""
    start = time.perf_counter()
    if mode == "floor":
        from markdown_it import MarkdownIt

        md = MarkdownIt("commonmark").enable("table")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted((course / "lessons").glob("*.md")):
                html = md.render(path.read_text(encoding="utf-8").split("---\n", 2)[2])
                archive.writestr(path.stem + ".html", html)
    elif mode in ("cold", "incremental"):
        from coursebuild.pipeline.build import build_course

        # FORMATS@CORES; without @, every core, as `coursebuild build` gives a single course
        formats, _, cores = extra.partition("@")
        workers = int(cores) if cores else len(os.sched_getaffinity(0))
        cache = course.parent / "cache" if mode == "incremental" else None
        with tempfile.TemporaryDirectory() as out:
            result = build_course(course, formats.split(","), Path(out), cache_dir=cache, workers=workers)
            if not result.ok:
                raise SystemExit([p.format() for p in result.problems.errors][:5])
    elif mode == "warm-process":  # as `coursebuild build --watch` rebuilds after a save
        from coursebuild.pipeline.build import build_course
        from coursebuild.pipeline.live import LiveCourse

        cache = course.parent / "cache-process"
        live = LiveCourse()
        with tempfile.TemporaryDirectory() as out:
            build_course(course, FIVE, Path(out), cache_dir=cache, live=live)
            edit_one_lesson(course, 99)
            start = time.perf_counter()
            result = build_course(course, FIVE, Path(out), cache_dir=cache, live=live)
            assert result.ok
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest forked helper
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "child_mb": child_mb}))


# As an installed coursebuild runs: from compiled bytecode (pip compiles it on install; this sandbox sets
# PYTHONDONTWRITEBYTECODE, which would make every child compile the whole package from source first).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "coursebuild-bench-pycache")


def measure(mode: str, course: Path, extra: str = "-") -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(course), extra],
        check=True,
        capture_output=True,
        text=True,
        env=CHILD_ENV,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def best(mode: str, course: Path, extra: str = "-", runs: int = 3) -> dict[str, float]:
    """The fastest of `runs` (the least disturbed by other work on the machine), with its peak memory."""
    results = [measure(mode, course, extra) for _ in range(runs)]
    return min(results, key=lambda r: r["seconds"])


def row(label: str, run: dict[str, float], floor: float | None = None, note: str = "") -> None:
    ratio = f"{run['seconds'] / floor:>8.2f}" if floor else f"{'':>8}"
    helper = f"helper process peak {run['child_mb']:.0f} MB" if run.get("child_mb", 0) > 1 else ""
    print(
        f"  {label:44} {run['seconds']:>8.2f} {run['peak_mb']:>8.0f} {ratio}  {'; '.join(filter(None, [note, helper]))}"
    )


def bench_build(root: Path, runs: int) -> None:
    course = make_course(root, 1000)
    print(f"\nbuild, 1,000-lesson course (best of {runs})      seconds  peak MB  x floor")
    floor = best("floor", course, runs=runs)
    row("floor: markdown-it-py render + zip", floor, floor["seconds"])
    cold_five = best("cold", course, ",".join(FIVE), runs)
    row("cold, all five formats", cold_five, floor["seconds"])
    row("cold, one format (scorm2004)", best("cold", course, "scorm2004", runs), floor["seconds"])
    row("cold, one format, one core (-j 1)", best("cold", course, "scorm2004@1", runs), floor["seconds"])
    measure("incremental", course, ",".join(FIVE))  # fill the cache
    incremental = []
    for n in range(runs):
        edit_one_lesson(course, n)
        incremental.append(measure("incremental", course, ",".join(FIVE)))
    inc = min(incremental, key=lambda r: r["seconds"])
    row(
        "one lesson edited, five formats, new process",
        inc,
        floor["seconds"],
        f"{inc['seconds'] / cold_five['seconds']:.0%} of cold",
    )
    warm = best("warm-process", course, runs=runs)
    row(
        "one lesson edited, five formats, build --watch",
        warm,
        floor["seconds"],
        f"{warm['seconds'] / cold_five['seconds']:.0%} of cold",
    )


def bench_growth(root: Path, sizes: list[int]) -> None:
    print("\ngrowth, one format (scorm2004), cold         seconds  peak MB  lessons/s")
    for size in sizes:
        course = make_course(root / f"growth-{size}", size)
        run = measure("cold", course, "scorm2004")
        print(f"  {size:>6} lessons{'':30} {run['seconds']:>8.2f} {run['peak_mb']:>8.0f} {size / run['seconds']:>9.0f}")


def bench_catalogue(root: Path, courses: int, lessons: int) -> None:
    folder = root / "catalogue"
    dirs = [make_course(folder / f"c{i:03d}", lessons) for i in range(courses)]
    for i, course in enumerate(dirs):  # distinct ids, as in a real catalogue
        config = course / "course.yml"
        config.write_text(
            config.read_text(encoding="utf-8").replace(f"id: bench-{lessons}", f"id: bench-{i:03d}"), encoding="utf-8"
        )
    print(f"\ncatalogue, {courses} courses x {lessons} lessons, five formats, no cache   seconds  ratio")
    timings = {}
    for jobs in (1, 2):
        out = root / f"dist-j{jobs}"
        start = time.perf_counter()
        subprocess.run(
            [
                str(Path(sys.executable).parent / "coursebuild"),
                "build",
                *map(str, dirs),
                "--out",
                str(out),
                "--no-cache",
                "-j",
                str(jobs),
            ],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "CI": "true"},
        )
        timings[jobs] = time.perf_counter() - start
        print(f"  -j {jobs}{'':60} {timings[jobs]:>7.1f} {timings[jobs] / timings[1]:>6.2f}")
    same = all((root / "dist-j1" / p.name).read_bytes() == p.read_bytes() for p in (root / "dist-j2").iterdir())
    print(f"  packages identical between -j 1 and -j 2: {same}")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def _count(transferred: list[int], response) -> None:
    try:
        if response.ok:
            transferred.append(_gz(response.body()))
    except Exception:  # the page closed before the body arrived: not part of the first load
        pass


NEXT_LESSON = """async () => {
  const from = document.querySelector('.page.is-current').id;
  const start = performance.now();
  document.querySelector('.page.is-current .pager__next').click();
  await new Promise(done => { const look = () => { const now = document.querySelector('.page.is-current');
    if (now.id !== from && !now.hasAttribute('data-src') && now.querySelector('h1')) done(); else requestAnimationFrame(look); };
    look(); });
  return performance.now() - start;
}"""

FAR_LESSON = """async (target) => {
  const start = performance.now();
  document.querySelector('.course-nav a[href="#' + target + '"]').click();
  await new Promise(done => { const look = () => { const now = document.querySelector('.page.is-current');
    if (now && now.id === target && !now.hasAttribute('data-src') && now.querySelector('h1')) done(); else requestAnimationFrame(look); };
    look(); });
  return performance.now() - start;
}"""


def bench_learner(root: Path, runs: int) -> None:
    from playwright.sync_api import sync_playwright

    from coursebuild.pipeline.build import build_course

    served = root / "served"
    packages = {
        "foundational (12 lessons)": REPO / "courses" / "foundational",
        "1,000 lessons (split)": make_course(root / "learner", 1000),
    }
    print(
        f"\nlearner, web package in Chromium (median of {runs})  first-load gz KB  interactive ms  "
        "next lesson ms  far lesson ms"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(served)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sites = {}
        for label, course_dir in packages.items():
            result = build_course(course_dir, ["web"], None, REPO)
            assert result.ok, [p.format() for p in result.problems.errors][:3]
            folder = served / result.course.id
            zipfile.ZipFile(io.BytesIO(result.packages["web"])).extractall(folder)
            lesson_pages = [f"page-lesson-{lesson.id}" for lesson in result.course.lessons]
            sites[label] = (f"http://127.0.0.1:{server.server_address[1]}/{result.course.id}/index.html", lesson_pages)
        measured: dict[str, dict[str, list[float]]] = {
            label: {"ready": [], "next": [], "far": [], "size": []} for label in sites
        }
        for _ in range(runs):  # the courses take turns, so that other work on the machine weighs on both alike
            for label, (url, lesson_pages) in sites.items():
                figures = measured[label]
                context = browser.new_context()
                page = context.new_page()
                transferred: list[int] = []
                page.on("response", functools.partial(_count, transferred))
                page.goto(url)
                page.wait_for_function("window.coursebuild && window.coursebuild.ready")
                page.wait_for_timeout(500)  # anything the first view asks for after it is interactive
                figures["ready"].append(page.evaluate("window.coursebuild.readyAt"))
                figures["size"].append(sum(transferred))
                page.evaluate(f"document.querySelector('.course-nav a[href=\"#{lesson_pages[0]}\"]').click()")
                page.wait_for_function(f"document.querySelector('#{lesson_pages[0]}.is-current h1')")
                page.wait_for_function(
                    f"(el => el && !el.hasAttribute('data-src'))(document.querySelector('#{lesson_pages[1]}'))"
                )  # read ahead
                figures["next"].append(page.evaluate(NEXT_LESSON))
                figures["far"].append(page.evaluate(FAR_LESSON, lesson_pages[len(lesson_pages) * 3 // 4]))
                context.close()
        results = {}
        for label, figures in measured.items():
            median = {name: statistics.median(values) for name, values in figures.items()}
            results[label] = median["ready"]
            print(
                f"  {label:36} {median['size'] / 1024:>16.0f} {median['ready']:>15.0f} "
                f"{median['next']:>15.0f} {median['far']:>14.0f}"
            )
        big, small = results["1,000 lessons (split)"], results["foundational (12 lessons)"]
        print(f"  first lesson interactive, 1,000 lessons / foundational: {big / small:.2f}x")
        server.shutdown()
        browser.close()


def bench_preview(root: Path, runs: int) -> None:
    from playwright.sync_api import sync_playwright

    from coursebuild.preview import PreviewState, make_server, watch

    course = make_course(root / "preview", 1000)
    past = time.time() - 60  # saved before the preview started, as an author's files are
    for path in course.rglob("*"):
        os.utime(path, (past, past))
    state = PreviewState(course.resolve(), "web")
    state.rebuild()
    server = make_server(state, 0)
    stop = threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    threading.Thread(target=watch, args=(state, stop), daemon=True).start()
    time.sleep(1.0)  # let the watcher start
    lesson = sorted((course / "lessons").glob("*.md"))[0]
    rebuilt, shown = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        page.frame_locator("iframe").locator(".page.is-current").wait_for()
        for n in range(runs):
            marker = f"Saved edit number {n}"
            version = state.version
            start = time.perf_counter()
            lesson.write_text(lesson.read_text(encoding="utf-8") + f"\n{marker}.\n", encoding="utf-8")
            with state.changed:  # woken by the rebuild: a polling loop here would take the GIL from it
                state.changed.wait_for(lambda: state.version != version, timeout=30)  # noqa: B023
            rebuilt.append(time.perf_counter() - start)
            page.wait_for_function(
                "v => { const w = document.querySelector('iframe').contentWindow;"
                " return w.location.href.includes('preview=' + v) && w.document.readyState === 'complete'"
                " && w.coursebuild && w.coursebuild.ready; }",
                arg=state.version,
                polling=5,
            )
            shown.append(time.perf_counter() - start)
            time.sleep(0.3)
        browser.close()
    stop.set()
    server.shutdown()
    print(f"\npreview, 1,000-lesson course (median of {runs})        ms")
    print(f"  save -> course rebuilt{'':28} {statistics.median(rebuilt) * 1000:>6.0f}")
    print(f"  save -> rebuilt course interactive in the page {'':3} {statistics.median(shown) * 1000:>6.0f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", default=["build", "growth", "catalogue", "learner", "preview"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--growth", type=int, nargs="*", default=[1000, 2500, 5000, 10000])
    parser.add_argument("--child", nargs=3, metavar=("MODE", "COURSE", "EXTRA"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.child[2])
        return
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        if "build" in args.only:
            bench_build(root / "build", args.runs)
        if "growth" in args.only:
            bench_growth(root, args.growth)
        if "catalogue" in args.only:
            bench_catalogue(root, 100, 100)
        if "learner" in args.only:
            bench_learner(root, max(args.runs, 5))
        if "preview" in args.only:
            bench_preview(root, max(args.runs, 9))


if __name__ == "__main__":
    main()
