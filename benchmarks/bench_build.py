"""Build-speed benchmark: synthetic courses of 20, 200 and 1,000 lessons.

For each size it reports, per format, lessons per second and peak memory of a full `build` (load, parse,
validate, render, package, write), next to the time markdown-it-py alone takes to render the same
Markdown: the floor no Markdown compiler can beat. Each measurement runs in a fresh process so peak
memory (ru_maxrss) belongs to that run alone.

    .venv/bin/python benchmarks/bench_build.py            # all sizes
    .venv/bin/python benchmarks/bench_build.py --sizes 20 200
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = [
    "clinical",
    "data",
    "model",
    "patient",
    "safety",
    "algorithm",
    "validation",
    "review",
    "bias",
    "staff",
    "ward",
    "radiology",
    "triage",
    "report",
    "evidence",
    "governance",
    "risk",
    "output",
    "decision",
    "team",
    "training",
    "support",
    "monitoring",
    "performance",
    "outcome",
]

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def lesson_markdown(rng: random.Random, index: int) -> str:
    """About 800 words with headings, lists, a table and an image, like a real lesson."""
    parts = [f"## Section one of lesson {index}\n"]
    for _ in range(4):
        parts.append(" ".join(_sentence(rng, 15) for _ in range(6)) + "\n")
    parts.append("- " + _sentence(rng, 8) + "\n- " + _sentence(rng, 8) + "\n- " + _sentence(rng, 8) + "\n")
    parts.append(
        "| Measure | Value | Note |\n|---|---|---|\n"
        + "".join(f"| {rng.choice(WORDS)} | {rng.randint(1, 99)} | {_sentence(rng, 5)} |\n" for _ in range(4))
    )
    parts.append("![A small chart used in the benchmark](../assets/chart.png)\n")
    parts.append("## Section two\n")
    for _ in range(3):
        parts.append(" ".join(_sentence(rng, 15) for _ in range(6)) + "\n")
    parts.append("::: key-points\n- " + _sentence(rng, 8) + "\n- " + _sentence(rng, 8) + "\n:::\n")
    return "\n".join(parts)


def make_course(folder: Path, lessons: int) -> Path:
    rng = random.Random(lessons)
    course = folder / f"bench-{lessons}"
    (course / "lessons").mkdir(parents=True)
    (course / "assets").mkdir()
    (course / "assets" / "chart.png").write_bytes(PNG)
    names = []
    for i in range(lessons):
        name = f"lessons/lesson-{i:04d}.md"
        names.append(name)
        front = (
            f"---\nid: lesson-{i:04d}\ntitle: Lesson {i}\nminutes: 6\nlevel: awareness\n"
            f"objectives:\n  - Understand topic {i}\n---\n\n"
        )
        (course / name).write_text(front + lesson_markdown(rng, i), encoding="utf-8")
    listing = "\n".join(f"  - {n}" for n in names)
    (course / "course.yml").write_text(
        f"id: bench-{lessons}\ntitle: Benchmark course\nversion: 1.0.0\npathway: foundational\n"
        f"base_iri: https://bench.example.org/c\nlessons:\n{listing}\n",
        encoding="utf-8",
    )
    return course


def child(mode: str, course: Path, fmt: str) -> None:
    """Runs in its own process; prints seconds and peak RSS as JSON."""
    start = time.perf_counter()
    if mode == "floor":
        from markdown_it import MarkdownIt

        md = MarkdownIt("commonmark").enable("table")
        for path in sorted((course / "lessons").glob("*.md")):
            md.render(path.read_text(encoding="utf-8").split("---\n", 2)[2])
    else:
        from coursebuild.pipeline.build import build_course

        with tempfile.TemporaryDirectory() as out:
            result = build_course(course, [fmt], Path(out))
            if not result.ok:
                raise SystemExit([p.format() for p in result.problems.errors][:5])
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb}))


def measure(mode: str, course: Path, fmt: str = "-") -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(course), fmt], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[20, 200, 1000])
    parser.add_argument("--formats", nargs="*", default=["scorm12", "scorm2004"])
    parser.add_argument("--child", nargs=3, metavar=("MODE", "COURSE", "FORMAT"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.child[2])
        return
    print(f"machine: {machine()}")
    print(f"{'lessons':>7}  {'format':9}  {'seconds':>8}  {'lessons/s':>9}  {'peak MB':>7}  {'x floor':>7}")
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            course = make_course(Path(folder), size)
            floor = measure("floor", course)
            print(
                f"{size:>7}  {'md floor':9}  {floor['seconds']:>8.2f}  {size / floor['seconds']:>9.0f}  {floor['peak_mb']:>7.0f}  {1:>7.2f}"
            )
            for fmt in args.formats:
                run = measure("build", course, fmt)
                ratio = run["seconds"] / floor["seconds"]
                print(
                    f"{size:>7}  {fmt:9}  {run['seconds']:>8.2f}  {size / run['seconds']:>9.0f}  {run['peak_mb']:>7.0f}  {ratio:>7.2f}"
                )


if __name__ == "__main__":
    main()
