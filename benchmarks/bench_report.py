"""`coursebuild report` benchmark: synthetic tagged statements from the real courses' tracking data.

Generates N statements (learners x 8 courses, about 12 statements per learner and course) into a temporary
JSON-lines file, then measures, each in a fresh process so peak memory (ru_maxrss) belongs to that run:
ingest rate (chDB reading the file), a full report, and an incremental run after 10,000 new statements.

    .venv/bin/python benchmarks/bench_report.py                      # 10k, 100k, 1M statements
    .venv/bin/python benchmarks/bench_report.py --sizes 10000        # one size
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

ORGANISATIONS = ["RX1 North Trust", "RX2 South Trust", "RX3 East Trust", "RX4 West Trust"]
ORGANISATION = "https://w3id.org/coursebuild/xapi/extension/organisation"


def course_items() -> list[dict[str, Any]]:
    """For each real course: its IRI, tags and the questions and scenes learners answer, from tracking.py."""
    from coursebuild.pipeline.build import compile_course
    from coursebuild.pipeline.load import discover_courses
    from coursebuild.tracking import tracking_data

    found = []
    for folder in discover_courses(ROOT / "courses"):
        built = compile_course(folder, ROOT)
        assert built.course is not None, folder
        data = tracking_data(built.course, built.catalogue)
        questions = [q for q in data["questions"].values() if "statements" not in q]
        scenes = [
            (s, c, t)
            for scenario in data["scenarios"].values()
            for s in scenario["scenes"].values()
            for c, t in s["tags"].items()
        ]
        found.append(
            {"data": data, "questions": questions, "scenes": scenes, "lessons": list(data["lessons"].values())}
        )
    return found


def statements_for(
    rng: random.Random,
    course: dict[str, Any],
    actor: dict[str, Any],
    organisation: str,
    start: datetime,
    data_verbs: dict[str, str],
) -> list[dict[str, Any]]:
    data = course["data"]
    registration = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    clock = [start]

    def statement(verb: str, obj: dict[str, Any], tags: dict[str, Any] | None, result: dict[str, Any] | None = None):
        clock[0] += timedelta(seconds=rng.randint(20, 120))
        context: dict[str, Any] = {
            "registration": registration,
            "contextActivities": {"grouping": [{"id": data["course"]["id"], "objectType": "Activity"}]},
            "extensions": {ORGANISATION: organisation},
        }
        if tags:
            context["contextActivities"]["category"] = tags["category"]
            context["contextActivities"]["other"] = tags["other"]
            context["extensions"].update(tags["extensions"])
        s = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": actor,
            "verb": {"id": data_verbs[verb], "display": {"en-US": verb}},
            "object": obj,
            "context": context,
            "timestamp": clock[0].isoformat().replace("+00:00", "Z"),
            "version": "1.0.3",
        }
        if result:
            s["result"] = result
        return s

    course_obj = {"id": data["course"]["id"], "objectType": "Activity", "definition": data["course"]["definition"]}
    out = [statement("initialized", course_obj, None)]
    skill = rng.random()
    for lesson in rng.sample(course["lessons"], min(2, len(course["lessons"]))):
        out.append(
            statement(
                "experienced",
                {"id": lesson["id"], "objectType": "Activity", "definition": lesson["definition"]},
                lesson["tags"],
            )
        )
    right = 0
    asked = rng.sample(course["questions"], min(4, len(course["questions"])))
    for question in asked:
        ok = rng.random() < skill + 0.2
        right += ok
        out.append(
            statement(
                "answered",
                {"id": question["id"], "objectType": "Activity", "definition": question["definition"]},
                question["tags"],
                {"success": ok, "response": "a", "duration": "PT12S"},
            )
        )
    for scene, choice, tags in rng.sample(course["scenes"], min(2, len(course["scenes"]))):
        rating = rng.choice(["best", "acceptable", "unsafe"])
        out.append(
            statement(
                "responded",
                {"id": scene["id"], "objectType": "Activity", "definition": scene["definition"]},
                tags,
                {
                    "success": rating != "unsafe",
                    "response": choice,
                    "duration": "PT20S",
                    "extensions": {
                        "https://w3id.org/coursebuild/xapi/extension/rating": rating,
                        "https://w3id.org/coursebuild/xapi/extension/path": ["start"],
                    },
                },
            )
        )
    if rng.random() < 0.8:
        out.append(statement("completed", course_obj, None, {"completion": True, "duration": "PT20M"}))
        scaled = round(right / max(1, len(asked)), 2)
        verb = "passed" if scaled >= 0.8 else "failed"
        out.append(
            statement(
                verb,
                course_obj,
                None,
                {
                    "success": verb == "passed",
                    "duration": "PT20M",
                    "score": {"scaled": scaled, "raw": right, "min": 0, "max": len(asked)},
                },
            )
        )
    minutes = rng.randint(5, 60)
    out.append(statement("terminated", course_obj, None, {"duration": f"PT{minutes}M{rng.randint(0, 59)}S"}))
    return out


def generate(path: Path, total: int, seed: int = 1, courses: list[dict[str, Any]] | None = None) -> int:
    """Write about `total` statements (10,000 learners x 8 courses at 1M) to path; returns how many."""
    from coursebuild.tracking import VERBS

    rng = random.Random(seed)
    courses = courses or course_items()
    start = datetime(2026, 1, 5, tzinfo=UTC)
    written = 0
    with path.open("w", encoding="utf-8") as handle:
        for learner in itertools.count():
            actor = {
                "objectType": "Agent",
                "account": {"homePage": "https://lms.example.nhs.uk", "name": f"learner-{seed}-{learner}"},
            }
            organisation = ORGANISATIONS[learner % len(ORGANISATIONS)]
            for course in courses:
                when = start + timedelta(days=rng.randint(0, 300), seconds=rng.randint(0, 86400))
                for s in statements_for(rng, course, actor, organisation, when, VERBS):
                    handle.write(json.dumps(s, separators=(",", ":")) + "\n")
                    written += 1
                    if written >= total:
                        return written
    return written


def _measure(args: list[str]) -> dict[str, Any]:
    """Run one report in a fresh process; its JSON line: seconds and peak RSS."""
    output = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def child(argv: list[str]) -> None:
    from coursebuild.analytics.report import Options, run
    from coursebuild.pipeline.load import discover_courses

    store, out, *files = argv
    started = time.perf_counter()
    result = run(
        Options(
            out=Path(out),
            course_dirs=discover_courses(ROOT / "courses"),
            store_dir=Path(store),
            files=[Path(f) for f in files],
        )
    )
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - started,
                "timings": result.timings,
                "ingested": sum(i.statements for i in result.ingested),
                "ingest_seconds": sum(i.seconds for i in result.ingested),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def bench(size: int, courses: list[dict[str, Any]]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="coursebuild-bench-report-") as folder:
        folder_path = Path(folder)
        data = folder_path / "statements.jsonl"
        more = folder_path / "more.jsonl"
        generate(data, size, seed=1, courses=courses)
        generate(more, 10_000, seed=2, courses=courses)
        first = _measure([str(folder_path / "store"), str(folder_path / "out"), str(data)])
        again = _measure([str(folder_path / "store"), str(folder_path / "out")])
        incremental = _measure([str(folder_path / "store"), str(folder_path / "out"), str(more)])
        return {
            "statements": size,
            "ingest_per_s": round(first["ingested"] / first["ingest_seconds"]),
            "ingest_s": round(first["ingest_seconds"], 2),
            "first_run_s": round(first["seconds"], 2),
            "report_s": round(again["seconds"], 2),
            "report_figures_s": round(again["timings"]["figures"], 2),
            "incremental_s": round(incremental["seconds"], 2),
            "peak_rss_mb": round(max(first["peak_rss_mb"], again["peak_rss_mb"], incremental["peak_rss_mb"])),
        }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    courses = course_items()
    print(
        f"# {platform.processor() or platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
    )
    print(
        "| statements | ingest (statements/s) | ingest s | first run s | full report s | figures s | "
        "incremental (+10k) s | peak RSS MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        r = bench(size, courses)
        print(
            f"| {r['statements']:,} | {r['ingest_per_s']:,} | {r['ingest_s']} | {r['first_run_s']} | {r['report_s']} | "
            f"{r['report_figures_s']} | {r['incremental_s']} | {r['peak_rss_mb']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
