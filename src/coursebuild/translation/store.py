"""Translations kept in the course folder: `translations/<language>/<source file>.yml`.

For example the Welsh of `lessons/what-is-ai.md` is `translations/cy/lessons/what-is-ai.md.yml`:

```yaml
source: lessons/what-is-ai.md
language: cy
units:
  title:
    source: What we mean by AI        # the English it was translated from
    target: Beth rydyn ni'n ei olygu wrth AI
```

Each unit keeps the source text it was translated from (whitespace runs as one space), so a unit whose
source has changed since is known to be stale. `coursebuild translate import` writes these files; the
course's own sources are never written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from coursebuild.errors import Problems
from coursebuild.pipeline.write import write_atomically
from coursebuild.translation.segments import normalise
from coursebuild.translation.units import Unit
from coursebuild.yamlfile import YamlSyntaxError, parse_yaml

FOLDER = "translations"
TRANSLATED, STALE, MISSING = "translated", "stale", "missing"


@dataclass
class Stored:
    source: str
    target: str
    line: int | None


@dataclass
class LanguageStore:
    """The translations of one course into one language, by source file and unit key."""

    root: Path
    language: str
    files: dict[str, dict[str, Stored]] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.root / FOLDER / self.language

    def path_of(self, source_file: str) -> Path:
        return self.folder / f"{source_file}.yml"

    def get(self, file: str, key: str) -> Stored | None:
        return self.files.get(file, {}).get(key)

    def state(self, unit: Unit) -> str:
        stored = self.get(unit.file, unit.key)
        if stored is None:
            return MISSING
        return TRANSLATED if stored.source == unit.text else STALE

    def translate(self, file: str, key: str, source: str) -> str | None:
        """The translation of a unit whose source is still `source`, else None (keep the source)."""
        stored = self.get(file, key)
        if stored is None or stored.source != normalise(source):
            return None
        return stored.target


def languages(root: Path) -> list[str]:
    folder = root / FOLDER
    return (
        sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")) if folder.is_dir() else []
    )


def load_store(root: Path, language: str, problems: Problems) -> LanguageStore:
    store = LanguageStore(root, language)
    folder = store.folder
    if not folder.is_dir():
        return store
    for path in sorted(folder.rglob("*.yml")):
        source_file = path.relative_to(folder).as_posix()[: -len(".yml")]
        try:
            doc = parse_yaml(path.read_text(encoding="utf-8"))
        except (YamlSyntaxError, UnicodeDecodeError) as exc:
            problems.error(
                path,
                getattr(exc, "line", None),
                f"translation file: {getattr(exc, 'message', exc)}",
                "import the XLIFF file again to rewrite it",
            )
            continue
        data = doc.data if isinstance(doc.data, dict) else {}
        found = data.get("units")
        units: dict = found if isinstance(found, dict) else {}
        entries: dict[str, Stored] = {}
        for key, value in units.items():
            line = doc.line_of(("units", key))
            if (
                not isinstance(value, dict)
                or not isinstance(value.get("source"), str)
                or not isinstance(value.get("target"), str)
            ):
                problems.error(
                    path,
                    line,
                    f"translation of unit '{key}' needs text 'source' and 'target'",
                    "import the XLIFF file again to rewrite it",
                )
                continue
            entries[str(key)] = Stored(value["source"], value["target"], line)
        store.files[source_file] = entries
    return store


def save_file(store: LanguageStore, source_file: str, entries: dict[str, Stored], order: list[str]) -> Path:
    """Write one translation file (units in course order), atomically."""
    ordered = [key for key in order if key in entries] + sorted(k for k in entries if k not in order)
    data = {
        "source": source_file,
        "language": store.language,
        "units": {key: {"source": entries[key].source, "target": entries[key].target} for key in ordered},
    }
    header = (
        f"# The {store.language} translation of {source_file}, written by `coursebuild translate import`.\n"
        "# Each unit keeps the source text it was translated from; see docs/translation.md.\n"
    )
    text = header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    path = store.path_of(source_file)
    write_atomically(path, text.encode("utf-8"))
    return path
