"""YAML loading that remembers where every value came from, so validation errors can name a line.

PyYAML composes a node tree with source marks; we construct plain Python data from it and keep a map
from each value's path (a tuple of keys and list indexes) to its 1-based line number.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

Path_ = tuple[str | int, ...]
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: several times faster, same marks


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """YAML 1.2 booleans: only true/false. YAML 1.1 also reads yes/no/on/off as booleans, which turns an
    accepted answer "No" or a choice id "on" into True/False without a word."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass
class YamlDocument:
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    first_line: int = 1

    def line_of(self, path: Path_) -> int:
        """The line of the deepest known value on `path` (falls back towards the root)."""
        line = line_in(self.lines, path, self.first_line)
        assert line is not None
        return line


def line_in(lines: dict[Path_, int], path: Path_, default: int | None) -> int | None:
    """The line of the deepest entry of `path` that `lines` knows, else `default`."""
    for end in range(len(path), -1, -1):
        if tuple(path[:end]) in lines:
            return lines[tuple(path[:end])]
    return default


class YamlSyntaxError(Exception):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.message = message
        self.line = line


def _index(node: yaml.Node, path: Path_, lines: dict[Path_, int], offset: int) -> None:
    lines[path] = node.start_mark.line + 1 + offset
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            _index(value_node, path + (key,), lines, offset)
            # A key's own line is where "key:" stands, which for block values differs from the value.
            lines[path + (key,)] = key_node.start_mark.line + 1 + offset
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, path + (i,), lines, offset)


def parse_yaml(text: str, first_line: int = 1) -> YamlDocument:
    """Parse one YAML document; `first_line` is the file line the text starts on."""
    offset = first_line - 1
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None, {}, first_line)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + offset) if mark else first_line
        problem = exc.problem or "invalid YAML"
        raise YamlSyntaxError(f"invalid YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"invalid YAML: {exc}", first_line) from None
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    _index(node, (), lines, offset)
    return YamlDocument(data, lines, first_line)


@dataclass(frozen=True)
class FieldError:
    line: int
    message: str
    hint: str = ""


def _field_names(model: type[BaseModel]) -> list[str]:
    names = []
    for name, info in model.model_fields.items():
        names.append(info.alias or name)
    return names


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """Follow `loc` through nested pydantic models to the model that owns its last key."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(part)
        if info is None:
            return current
        current = _unwrap(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    args = getattr(annotation, "__args__", None)
    if not args:
        return annotation
    for arg in args:
        candidate = _unwrap(arg)
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return annotation


def describe_validation_error(exc: ValidationError, doc: YamlDocument, model: type[BaseModel]) -> list[FieldError]:
    """Turn pydantic's errors into one readable message per problem, each with its line."""
    result = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        # Discriminated unions put the tag into loc ("single", ...); drop it for line lookup.
        present = _keys_along(doc, loc)
        last = len(loc) - 1
        clean = tuple(
            p
            for i, p in enumerate(loc)
            if not (isinstance(p, str) and p not in present and not (i == last and err["type"] == "missing"))
        )
        where = ".".join(str(p) for p in clean) or "(top level)"
        line = doc.line_of(clean)
        kind = err["type"]
        if kind == "extra_forbidden":
            key = clean[-1] if clean else ""
            owner = _model_at(model, clean[:-1])
            choices = _field_names(owner) if owner else []
            close = difflib.get_close_matches(str(key), choices, n=1)
            hint = (
                f"did you mean '{close[0]}'?"
                if close
                else (f"known keys: {', '.join(choices)}" if choices else "remove it")
            )
            result.append(FieldError(line, f"unknown key '{where}'", hint))
        elif kind == "missing":
            result.append(FieldError(line, f"missing required key '{where}'", "add it"))
        elif kind == "string_type" and isinstance(err.get("input"), dict) and len(err["input"]) == 1:
            result.append(
                FieldError(
                    line,
                    f"'{where}' should be text, but YAML read it as 'key: value' because it contains ': '",
                    "put the whole text in double quotes, or replace ': ' with ' - '",
                )
            )
        else:
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            result.append(FieldError(line, f"'{where}': {msg}" if clean else msg))
    return result


def _keys_along(doc: YamlDocument, loc: tuple[Any, ...]) -> set[str]:
    """Every mapping key present in the document at the prefixes of `loc`."""
    keys: set[str] = set()
    node = doc.data
    for part in loc:
        if isinstance(node, dict):
            keys.update(str(k) for k in node)
            if part in node:
                node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
    if isinstance(node, dict):
        keys.update(str(k) for k in node)
    return keys
