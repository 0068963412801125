import pytest
from pydantic import ValidationError

from coursebuild.model import CourseConfig
from coursebuild.yamlfile import YamlSyntaxError, describe_validation_error, parse_yaml


def test_values_remember_their_lines():
    doc = parse_yaml("a: 1\nb:\n  - x\n  - y: 2\n", first_line=10)
    assert doc.data == {"a": 1, "b": ["x", {"y": 2}]}
    assert doc.line_of(("a",)) == 10
    assert doc.line_of(("b", 1, "y")) == 13
    assert doc.line_of(("b", 5)) == 11  # unknown index falls back to its parent


def test_syntax_error_names_the_line():
    with pytest.raises(YamlSyntaxError) as caught:
        parse_yaml("title: ok\nlist: [1, 2\nother: x\n", first_line=2)
    assert caught.value.line in (3, 4)
    assert "invalid YAML" in caught.value.message


def test_unknown_key_suggests_the_closest_known_key():
    doc = parse_yaml(
        "id: c\ntitle: T\nversion: 1.0.0\npathway: foundational\nbase_iri: https://x.org/c\nlessons: [a.md]\npass_mrk: 70\n"
    )
    with pytest.raises(ValidationError) as caught:
        CourseConfig.model_validate(doc.data)
    [error] = describe_validation_error(caught.value, doc, CourseConfig)
    assert error.line == 7
    assert "unknown key 'pass_mrk'" in error.message
    assert "did you mean 'pass_mark'" in error.hint


def test_missing_key_is_named():
    doc = parse_yaml("id: c\ntitle: T\npathway: foundational\nbase_iri: https://x.org/c\nlessons: [a.md]\n")
    with pytest.raises(ValidationError) as caught:
        CourseConfig.model_validate(doc.data)
    messages = [e.message for e in describe_validation_error(caught.value, doc, CourseConfig)]
    assert messages == ["missing required key 'version'"]


def test_only_true_and_false_are_booleans():
    doc = parse_yaml("a: on\nb: No\nc: yes\nd: true\ne: False\n")
    assert doc.data == {"a": "on", "b": "No", "c": "yes", "d": True, "e": False}
