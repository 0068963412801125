"""The folder layout is the architecture: these tests keep its import direction one way.

Every `import` in src/coursebuild is read with `ast` (including imports inside functions, which would hide
a cycle from a top-level-only check), and each rule names a part of the tool and what it must not import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "coursebuild"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Each coursebuild module and the coursebuild modules it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        module = _module_name(path)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    target = f"{base}.{node.module}" if node.module else base
                else:
                    target = node.module or ""
                names.add(target)
                names.update(f"{target}.{alias.name}" for alias in node.names)
        found[module] = {name for name in names if name == "coursebuild" or name.startswith("coursebuild.")}
    return found


IMPORTS = _imports()


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _offenders(
    importers: str | tuple[str, ...], forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()
) -> list[str]:
    importers = (importers,) if isinstance(importers, str) else importers
    offenders = []
    for module, names in IMPORTS.items():
        if not any(_within(module, prefix) for prefix in importers):
            continue
        for name in sorted(names):
            if any(_within(name, f) for f in forbidden) and not any(_within(name, a) for a in allowed):
                offenders.append(f"{module} imports {name}")
    return offenders


def test_the_layout_has_the_packages_the_docs_describe():
    packages = {p.parent.name for p in SRC.glob("*/__init__.py")}
    assert {
        "pipeline",
        "targets",
        "standards",
        "inspector",
        "tracking",
        "translation",
        "analytics",
        "cli",
        "products",
    } <= packages


@pytest.mark.parametrize("package", sorted(p.parent.name for p in SRC.glob("*/__init__.py")))
def test_each_package_says_what_it_owns_and_may_import(package):
    docstring = ast.get_docstring(ast.parse((SRC / package / "__init__.py").read_text(encoding="utf-8")))
    assert docstring, f"src/coursebuild/{package}/__init__.py needs a docstring saying what the package owns"
    assert "import" in docstring.lower(), f"src/coursebuild/{package}/__init__.py: say what the package may import"


def test_only_the_command_line_imports_the_command_line():
    offenders = [
        f"{module} imports {name}"
        for module, names in IMPORTS.items()
        if not _within(module, "coursebuild.cli") and module != "coursebuild.__main__"
        for name in sorted(names)
        if _within(name, "coursebuild.cli")
    ]
    assert offenders == []


def test_the_stages_before_packaging_import_no_target():
    """load, parse, validate and render know nothing of output formats; only build.py runs the package stage."""
    stages = tuple(
        f"coursebuild.pipeline.{m}"
        for m in (
            "load",
            "paths",
            "markdown",
            "parse",
            "validate",
            "render",
            "interface",
            "runtime_data",
            "write",
            "cache",
            "live",
            "parallel",
        )
    )
    assert (
        _offenders(
            stages,
            (
                "coursebuild.targets",
                "coursebuild.inspector",
                "coursebuild.analytics",
                "coursebuild.preview",
                "coursebuild.watching",
                "coursebuild.pipeline.build",
            ),
        )
        == []
    )


def test_the_model_and_its_foundations_import_nothing_above_them():
    foundations = ("coursebuild.errors", "coursebuild.yamlfile", "coursebuild.model")
    allowed = foundations + ("coursebuild.__version__",)
    offenders = [
        f"{module} imports {name}"
        for module in foundations
        for name in sorted(IMPORTS[module])
        if name != "coursebuild" and not any(_within(name, a) for a in allowed)
    ]
    assert offenders == []


def test_the_standards_stand_alone():
    """One definition of conformance, shared by the writers and the inspector, depending on neither."""
    assert _offenders("coursebuild.standards", ("coursebuild",), allowed=("coursebuild.standards",)) == []


def test_the_inspector_reads_any_package_without_the_compiler():
    assert (
        _offenders(
            "coursebuild.inspector", ("coursebuild",), allowed=("coursebuild.inspector", "coursebuild.standards")
        )
        == []
    )


def test_targets_do_not_reach_back_up_the_pipeline():
    assert (
        _offenders(
            "coursebuild.targets",
            ("coursebuild.pipeline.build", "coursebuild.inspector", "coursebuild.analytics", "coursebuild.preview"),
        )
        == []
    )


def test_analytics_reads_statements_without_the_writers():
    assert _offenders("coursebuild.analytics", ("coursebuild.targets", "coursebuild.inspector")) == []


def test_the_checker_sees_imports_inside_functions():
    """The rules above would be empty promises if a function-level import escaped the reader."""
    assert "coursebuild.pipeline.build" in IMPORTS["coursebuild.analytics.report"]


def test_the_tracking_vocabulary_depends_on_the_model_only():
    allowed = ("coursebuild.tracking", "coursebuild.model", "coursebuild.catalogue")
    assert _offenders("coursebuild.tracking", ("coursebuild",), allowed=allowed) == []


def test_translation_stays_on_the_source_side():
    assert (
        _offenders("coursebuild.translation", ("coursebuild.targets", "coursebuild.inspector", "coursebuild.analytics"))
        == []
    )


def test_product_training_uses_neither_the_command_line_nor_a_target():
    """The facts, the guard rails and the copier worker sit below the CLI and know no output format."""
    forbidden = (
        "coursebuild.cli",
        "coursebuild.targets",
        "coursebuild.pipeline",
        "coursebuild.inspector",
        "coursebuild.analytics",
    )
    assert _offenders("coursebuild.products", forbidden) == []
