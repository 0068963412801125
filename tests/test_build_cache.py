"""The build cache and parallel builds (issue 11): a cached build is byte-identical to a cold one, every
input that shapes a package invalidates it, a damaged cache is only a miss, and -j gives the same packages
and the same error report as a serial build."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from coursebuild.cli import main
from tests.conftest import FIXTURES, edit

FORMATS = ["-f", "scorm12", "-f", "scorm2004", "-f", "cmi5", "-f", "xapi", "-f", "web"]


def build(course: Path, out: Path, *options: str) -> str:
    result = CliRunner().invoke(main, ["build", str(course), "--out", str(out), *FORMATS, *options])
    assert result.exit_code == 0, result.output
    return result.output


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A course beside its requirements catalogue, with a copy of a theme it may be pointed at."""
    shutil.copytree(FIXTURES / "quiz", tmp_path / "course")
    shutil.copy(FIXTURES / "requirements.yml", tmp_path / "requirements.yml")
    return tmp_path


def cold_and_cached(project: Path, name: str) -> tuple[dict[str, str], dict[str, str]]:
    cache = project / "cache"
    cold = project / f"{name}-cold"
    cached = project / f"{name}-cached"
    build(project / "course", cold, "--no-cache")
    build(project / "course", cached, "--cache-dir", str(cache))
    return digests(cold), digests(cached)


def test_cached_build_is_byte_identical_to_a_cold_one(project: Path) -> None:
    cache = project / "cache"
    cold = project / "cold"
    build(project / "course", cold, "--no-cache")
    assert not cache.exists()
    build(project / "course", project / "first", "--cache-dir", str(cache))
    assert any(cache.rglob("*.pickle"))
    build(project / "course", project / "second", "--cache-dir", str(cache))  # served from the cache
    assert digests(cold) == digests(project / "first") == digests(project / "second")


def test_an_edited_lesson_rebuilds_as_a_cold_build_would(project: Path) -> None:
    cache = project / "cache"
    build(project / "course", project / "before", "--cache-dir", str(cache))
    lesson = next((project / "course" / "lessons").glob("*.md"))
    lesson.write_text(
        lesson.read_text(encoding="utf-8") + "\nA sentence added after the first build.\n", encoding="utf-8"
    )
    cold, cached = cold_and_cached(project, "after")
    assert cold == cached
    assert cached != digests(project / "before")


def test_a_changed_catalogue_invalidates_the_cache(project: Path) -> None:
    cache = project / "cache"
    build(project / "course", project / "before", "--cache-dir", str(cache))
    catalogue = project / "requirements.yml"
    catalogue.write_text(catalogue.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    calls: list[str] = []
    import coursebuild.pipeline.build as pipeline

    real = pipeline.compile_course
    pipeline.compile_course = lambda *a, **k: calls.append("compiled") or real(*a, **k)  # type: ignore[assignment]
    try:
        build(project / "course", project / "after", "--cache-dir", str(cache))
    finally:
        pipeline.compile_course = real  # type: ignore[assignment]
    assert calls == ["compiled"]


def test_a_changed_theme_invalidates_the_cache(project: Path) -> None:
    theme = project / "themes" / "local"  # the project's themes, outside the course folder
    shutil.copytree(Path(__file__).parents[1] / "themes" / "default", theme)
    config = project / "course" / "course.yml"
    config.write_text(config.read_text(encoding="utf-8") + "theme: local\n", encoding="utf-8")
    cache = project / "cache"
    build(project / "course", project / "before", "--cache-dir", str(cache))
    base = theme / "templates" / "base.html"
    edit(base, "</body>", "<!-- edited theme --></body>")
    cold, cached = cold_and_cached(project, "after")
    assert cold == cached != digests(project / "before")


def test_a_damaged_cache_is_a_miss_not_an_error(project: Path) -> None:
    cache = project / "cache"
    build(project / "course", project / "cold", "--no-cache")
    build(project / "course", project / "first", "--cache-dir", str(cache))
    for entry in cache.rglob("*.pickle"):
        entry.write_bytes(entry.read_bytes()[:40])
    output = build(project / "course", project / "second", "--cache-dir", str(cache))
    assert "Traceback" not in output
    assert digests(project / "cold") == digests(project / "second")


def test_errors_are_never_cached(project: Path) -> None:
    cache = project / "cache"
    lesson = next((project / "course" / "lessons").glob("*.md"))
    good = lesson.read_text(encoding="utf-8")
    lesson.write_text(good + "\n![missing picture](../assets/nowhere.png)\n", encoding="utf-8")
    runner = CliRunner()
    args = ["build", str(project / "course"), "--out", str(project / "out"), "--cache-dir", str(cache)]
    for _ in range(2):
        result = runner.invoke(main, args)
        assert result.exit_code == 1
        assert f"{lesson.name}:" in result.output and "nowhere.png" in result.output
        assert not (project / "out").exists() or not any((project / "out").iterdir())


def catalogue(tmp_path: Path, broken: tuple[int, ...] = ()) -> Path:
    courses = tmp_path / "courses"
    for index in range(4):
        folder = courses / "foundational" / f"c{index}"
        shutil.copytree(FIXTURES / "minimal", folder)
        edit(folder / "course.yml", "id: minimal-course", f"id: minimal-course-{index}")
        if index in broken:
            edit(folder / "lessons" / "first.md", "level: awareness", "level: wizardry")
    shutil.copy(FIXTURES / "requirements.yml", courses / "requirements.yml")
    return tmp_path


def test_parallel_catalogue_build_matches_a_serial_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = catalogue(tmp_path)
    monkeypatch.chdir(root)
    outputs = {}
    for jobs in ("1", "2"):
        result = CliRunner().invoke(
            main, ["build", "-f", "scorm12", "-f", "cmi5", "--no-cache", "-j", jobs, "--out", f"dist-{jobs}"]
        )
        assert result.exit_code == 0, result.output
        outputs[jobs] = digests(root / f"dist-{jobs}")
    assert outputs["1"] == outputs["2"] and len(outputs["1"]) == 9  # 4 courses x 2 formats + index.html


def test_parallel_build_reports_every_courses_errors_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = catalogue(tmp_path, broken=(1, 3))
    monkeypatch.chdir(root)
    reports = {}
    for jobs in ("1", "2"):
        result = CliRunner().invoke(main, ["build", "-f", "scorm12", "--no-cache", "-j", jobs, "--out", "dist"])
        assert result.exit_code == 1
        assert "Traceback" not in result.output
        reports[jobs] = [line for line in result.output.splitlines() if "error:" in line]
    assert reports["1"] == reports["2"]
    assert [("/c1/" in line, "/c3/" in line) for line in reports["2"]] == [(True, False), (False, True)]
    assert all(".md:" in line for line in reports["2"])


def test_the_cache_keeps_one_package_entry_per_course_and_options(project: Path) -> None:
    """Edits replace the course's entry instead of piling up one more copy of its packages per save."""
    cache = project / "cache"
    lesson = next((project / "course" / "lessons").glob("*.md"))
    text = lesson.read_text(encoding="utf-8")
    for n in range(3):
        lesson.write_text(text + f"\nEdit number {n}.\n", encoding="utf-8")
        build(project / "course", project / f"out-{n}", "--cache-dir", str(cache))
    entries = [p for p in cache.rglob("*.pickle") if p.parent.parent == cache and p.parent.name != "lessons"]
    assert len(entries) == 1
    build(project / "course", project / "again", "--cache-dir", str(cache))  # the kept entry is the newest
    assert digests(project / "again") == digests(project / "out-2")


EDITS = {
    "body": ("lessons/second.md", "somewhere to point.", "somewhere to point, and a sentence more."),
    "title": ("lessons/second.md", "title: The second lesson", "title: The second lesson, renamed"),
    "front matter": ("lessons/second.md", "level: awareness", "level: familiarity"),
    "question": ("lessons/types.md", "?", "? (edited)"),
    "course settings": ("course.yml", "pass_mark: 80", "pass_mark: 75"),
}


@pytest.mark.parametrize("delivery", ["single", "split"])
@pytest.mark.parametrize("change", sorted(EDITS))
def test_every_kind_of_edit_rebuilds_as_a_cold_build_would(project: Path, change: str, delivery: str) -> None:
    """The lesson cache keeps front matter, parsed lessons and rendered lesson pages; after any edit a
    cached build must still equal a cold one, byte for byte, in both kinds of delivery."""
    cache = project / "cache"
    build(project / "course", project / "before", "--cache-dir", str(cache), "--delivery", delivery)
    name, old, new = EDITS[change]
    edit(project / "course" / name, old, new)
    build(project / "course", project / "cold", "--no-cache", "--delivery", delivery)
    build(project / "course", project / "cached", "--cache-dir", str(cache), "--delivery", delivery)
    assert digests(project / "cold") == digests(project / "cached") != digests(project / "before")


def test_a_changed_lesson_template_rerenders_cached_lesson_pages(project: Path) -> None:
    theme = project / "themes" / "local"
    shutil.copytree(Path(__file__).parents[1] / "themes" / "default", theme)
    edit(project / "course" / "course.yml", "pass_mark: 80", "pass_mark: 80\ntheme: local")
    cache = project / "cache"
    build(project / "course", project / "before", "--cache-dir", str(cache), "--delivery", "split")
    edit(theme / "templates" / "page_lesson.html", '<div class="prose">', '<div class="prose" data-edited>')
    build(project / "course", project / "cold", "--no-cache", "--delivery", "split")
    build(project / "course", project / "cached", "--cache-dir", str(cache), "--delivery", "split")
    assert digests(project / "cold") == digests(project / "cached") != digests(project / "before")


def test_an_edit_rerenders_only_the_edited_lesson(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from coursebuild.pipeline import render

    cache = project / "cache"
    build(project / "course", project / "before", "--cache-dir", str(cache), "--delivery", "split")
    edit(project / "course" / "lessons" / "second.md", "somewhere to point.", "somewhere else to point.")
    rendered: list[str] = []
    real = render._plain_text
    monkeypatch.setattr(render, "_plain_text", lambda html: rendered.append(html) or real(html))
    build(project / "course", project / "after", "--cache-dir", str(cache), "--delivery", "split")
    assert len(rendered) == 1 and "somewhere else to point" in rendered[0]


def test_cache_keys_do_not_depend_on_the_process(tmp_path: Path) -> None:
    """Keys are made with `canonical`, not pickle: a set's order differs between processes (hash seeds)."""
    import subprocess
    import sys

    script = (
        "from coursebuild.pipeline.cache import canonical; from coursebuild.model import Level;"
        "print(canonical({'assets': {'a.png', 'b.png', 'c.svg', 'd.jpg'}, 'level': Level.AWARENESS, (1, 'x'): [1]}))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={**__import__("os").environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3", "4")
    }
    assert len(outputs) == 1 and '"a.png","b.png","c.svg","d.jpg"' in outputs.pop()


def test_the_lesson_fingerprint_covers_every_field_of_a_lesson() -> None:
    """Rendered lesson pages are cached by `lesson_fingerprint`; a field it left out would let a page be
    reused after that field changed. A new field of Lesson must be added to the fingerprint."""
    import dataclasses

    from coursebuild.model import Lesson
    from coursebuild.pipeline.render import LESSON_FINGERPRINT_FIELDS

    assert {f.name for f in dataclasses.fields(Lesson)} == LESSON_FINGERPRINT_FIELDS


def test_a_new_process_deflates_only_the_members_that_changed(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lesson cache keeps zip members between processes: after an edit only the edited lesson's file
    and the search index (which holds every lesson's text) are deflated, of 65 members in all, and the
    packages are still the ones a cold build makes."""
    import zlib

    from coursebuild.pipeline import write

    cache = project / "cache"
    build(project / "course", project / "before", "--cache-dir", str(cache), "--delivery", "split")
    edit(project / "course" / "lessons" / "second.md", "somewhere to point.", "somewhere else to point.")
    monkeypatch.setattr(write, "_members", {})  # as a new process starts
    compressed: list[int] = []
    real = zlib.compressobj
    monkeypatch.setattr(zlib, "compressobj", lambda *a: compressed.append(1) or real(*a))  # as zipfile calls it
    build(project / "course", project / "after", "--cache-dir", str(cache), "--delivery", "split")
    members = sum(len(__import__("zipfile").ZipFile(p).namelist()) for p in (project / "after").iterdir())
    assert len(compressed) == 2 and members > 60
    monkeypatch.setattr(write, "_members", {})
    build(project / "course", project / "cold", "--no-cache", "--delivery", "split")
    assert digests(project / "after") == digests(project / "cold")


def test_zips_put_together_from_member_records_are_the_bytes_zipfile_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Members stored and deflated, empty, with non-ASCII names, reused from the memo under the same or
    another content: the assembled zip is exactly the one zipfile writes in one go, and it reads back."""
    import random
    import zipfile

    from coursebuild.pipeline import write

    rng = random.Random(7)
    noise = bytes(rng.randrange(256) for _ in range(200_000))
    files = {
        "index.html": b"<!doctype html>" + b"<p>lesson</p>" * 5000,
        "assets/chart.png": noise[:5000],
        "empty.txt": b"",
        "lessons/caf\u00e9-\u2603.js".encode().decode("unicode_escape"): "caf\u00e9 \u2603".encode(),
        "runtime/noise.js": noise,
    }

    def at_levels(files: dict[str, bytes], indexes: frozenset[str] = frozenset()) -> dict[str, int]:
        return {name: write._INDEX_LEVEL if name in indexes else write._LEVEL for name in files}

    monkeypatch.setattr(write, "_members", {})
    assert write.zip_bytes(files) == write._zip_with_zipfile(files, at_levels(files))
    changed = {**files, "index.html": b"<p>edited</p>", "new.css": b"body{}"}
    assert write.zip_bytes(changed) == write._zip_with_zipfile(changed, at_levels(changed))  # some from the memo
    archive = zipfile.ZipFile(__import__("io").BytesIO(write.zip_bytes(changed)))
    assert archive.testzip() is None and {n: archive.read(n) for n in archive.namelist()} == changed
    # A search index is deflated at its own level, and its record made at the other level is not reused.
    index = frozenset({"index.html"})
    text = {**files, "index.html": " ".join(f"word{i % 97} word{i % 89}" for i in range(20_000)).encode()}
    plain = write.zip_bytes(text)
    indexed = write.zip_bytes(text, indexes=index)
    assert indexed == write._zip_with_zipfile(text, at_levels(text, index)) and indexed != plain
    assert write.zip_bytes(text) == plain


def test_no_model_holds_a_set() -> None:
    """`canonical` takes pydantic's JSON of a model as it is; a set field would come out in an order that
    differs between processes, and the lesson cache would then miss in every new process."""
    import inspect

    from pydantic import BaseModel

    from coursebuild import model

    for name, cls in inspect.getmembers(model, inspect.isclass):
        if issubclass(cls, BaseModel) and cls.__module__ == model.__name__:
            for field_name, info in cls.model_fields.items():
                assert "set" not in str(info.annotation).lower().replace("offset", ""), f"{name}.{field_name}"


def test_an_edit_rewrites_only_the_lesson_cache_shards_whose_entries_changed(project: Path) -> None:
    """A large course's lesson cache is tens of megabytes: after one lesson is edited only the shards holding
    that lesson's new and old entries are written again, the others are left as they are, and a later
    build from those shards makes the same packages as a cold one."""
    cache = project / "cache"
    build(project / "course", project / "before", "--cache-dir", str(cache), "--delivery", "split")
    shards = {p: p.stat().st_ino for p in (cache / "lessons").rglob("*.pickle")}
    edit(project / "course" / "lessons" / "second.md", "somewhere to point.", "somewhere else to point.")
    build(project / "course", project / "after", "--cache-dir", str(cache), "--delivery", "split")
    after = {p: p.stat().st_ino for p in (cache / "lessons").rglob("*.pickle")}
    rewritten = [p for p in after if shards.get(p) != after[p]] + [p for p in shards if p not in after]
    assert len(shards) > 20 and 0 < len(rewritten) < len(shards) / 2
    build(project / "course", project / "cold", "--no-cache", "--delivery", "split")
    assert digests(project / "after") == digests(project / "cold")
    for entry in [p for p in cache.rglob("*.pickle") if p.parent.parent == cache and p.parent.name != "lessons"]:
        entry.unlink()  # no package entry: the build comes from the lesson shards
    build(project / "course", project / "from-shards", "--cache-dir", str(cache), "--delivery", "split")
    assert digests(project / "from-shards") == digests(project / "cold")


def test_a_lesson_cache_kept_in_one_file_before_the_shards_is_removed_at_the_next_build(project: Path) -> None:
    """Before the shards, a course's lesson cache was one file beside its folder; nothing reads it now, so a
    build removes it instead of leaving tens of megabytes behind."""
    cache = project / "cache"
    build(project / "course", project / "first", "--cache-dir", str(cache))
    (folder,) = [p for p in (cache / "lessons").iterdir() if p.is_dir()]
    old = folder.with_name(f"{folder.name}.pickle")
    other = folder.with_name(f"{'0' * 64}.pickle")  # another course's old file is that course's to remove
    old.write_bytes(b"the old single-file cache")
    other.write_bytes(b"another course's")
    edit(project / "course" / "lessons" / "second.md", "somewhere to point.", "somewhere else to point.")
    build(project / "course", project / "second", "--cache-dir", str(cache))
    assert not old.exists() and other.exists()
    build(project / "course", project / "cold", "--no-cache")
    assert digests(project / "second") == digests(project / "cold")


def test_a_course_tree_hash_follows_what_a_build_reads_and_passes_over_the_rest(tmp_path: Path) -> None:
    """The build cache's key covers every file of the course, its path and contents, links to files included;
    Python's byte code and git's folder are passed over, and so are links to folders (a course's files are
    all inside it, and hashed where they are)."""
    from coursebuild.pipeline.cache import hash_tree

    course = tmp_path / "course"
    (course / "lessons").mkdir(parents=True)
    (course / "lessons" / "one.md").write_text("one")
    (course / "course.yml").write_text("title: x")
    (tmp_path / "outside.txt").write_text("linked")
    (course / "linked.txt").symlink_to(tmp_path / "outside.txt")

    def key() -> str:
        digest = hashlib.sha256()
        hash_tree(digest, course, "course")
        return digest.hexdigest()

    first = key()
    for passed_over in ("__pycache__/one.cpython-311.pyc", ".git/HEAD", "lessons/stale.pyc"):
        (course / passed_over).parent.mkdir(exist_ok=True)
        (course / passed_over).write_text("ignored")
    (course / "alias").symlink_to(course / "lessons")
    assert key() == first
    changes = [
        lambda: (course / "lessons" / "one.md").write_text("One"),
        lambda: (tmp_path / "outside.txt").write_text("changed where the link points"),
        lambda: (course / "lessons" / "one.md").rename(course / "lessons" / "two.md"),
        lambda: (course / "lessons" / "empty.md").write_text(""),
    ]
    seen = {first}
    for change in changes:
        change()
        assert key() not in seen
        seen.add(key())
