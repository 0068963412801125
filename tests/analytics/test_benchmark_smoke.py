"""A small run of benchmarks/bench_report.py (the 1,000,000-statement run is not part of the suite)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_report_benchmark_runs_at_a_small_size(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_report
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    courses = bench_report.course_items()
    path = tmp_path / "s.jsonl"
    assert bench_report.generate(path, 1500, courses=courses) == 1500
    first = json.loads(path.read_text().splitlines()[0])
    assert first["context"]["contextActivities"]["grouping"][0]["id"].startswith("https://")
    result = bench_report.bench(1500, courses)
    assert result["statements"] == 1500 and result["ingest_per_s"] > 0 and result["peak_rss_mb"] > 0
