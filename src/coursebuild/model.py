"""The typed course model: what authors write (validated with pydantic) and what the pipeline passes on.

Source models (`CourseConfig`, `LessonMeta`, question types, `ScenarioSource`) forbid unknown keys, so a
typo is reported instead of silently ignored. Their validators check each object on its own; rules that
need the whole course (unique IDs, known requirement IDs, reachable scenes) live in `validate.py`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator

from coursebuild.yamlfile import line_in

SLUG_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=64)]
RequirementId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*\.[0-9]+$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Level(str, enum.Enum):
    """The report's taxonomies (Figure 4): knowledge then skills, in increasing depth."""

    AWARENESS = "awareness"
    FAMILIARITY = "familiarity"
    UNDERSTANDING = "understanding"
    CAPABILITY = "capability"
    PROFICIENCY = "proficiency"

    @property
    def domain(self) -> str:
        return "skill" if self in (Level.CAPABILITY, Level.PROFICIENCY) else "knowledge"

    @property
    def rank(self) -> int:
        return list(Level).index(self)

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Pathway(str, enum.Enum):
    FOUNDATIONAL = "foundational"
    ADVANCED = "advanced"
    PRODUCT = "product"
    GUIDE = "guide"  # orientation material, such as the pathway self-assessment: teaches no table


class Archetype(str, enum.Enum):
    SHAPER = "shaper"
    DRIVER = "driver"
    CREATOR = "creator"
    EMBEDDER = "embedder"
    USER = "user"


# --------------------------------------------------------------------------- course.yml


class ModuleConfig(Strict):
    id: Slug
    title: Text
    lessons: list[str] = Field(min_length=1)


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2.x contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


class Brand(Strict):
    organisation: str = ""
    logo: str | None = None
    primary_colour: Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")] | None = None

    @field_validator("primary_colour")
    @classmethod
    def _readable(cls, colour: str | None) -> str | None:
        # The primary colour is the header background behind white text and the colour of links on white.
        if colour is not None and contrast_ratio(colour, "#ffffff") < 4.5:
            raise ValueError(
                f"{colour} has a contrast ratio of {contrast_ratio(colour, '#ffffff'):.2f}:1 with white; "
                "WCAG 2.2 AA needs at least 4.5:1 for text, so choose a darker shade"
            )
        return colour


class Scoring(Strict):
    """How the course score is made: the scenarios' share in percent, the assessment the rest."""

    scenarios: Annotated[int, Field(ge=0, le=100)] = 0


class CourseConfig(Strict):
    id: Slug
    title: Text
    version: Annotated[str, StringConstraints(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$")]
    language: Annotated[str, StringConstraints(pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")] = "en-GB"
    description: str = ""
    pathway: Pathway
    archetypes: list[Archetype] = []
    audience: str = ""
    duration_minutes: Annotated[int, Field(gt=0)] | None = None
    pass_mark: Annotated[int, Field(ge=0, le=100)] = 80
    scoring: Scoring = Scoring()
    theme: Slug = "default"
    brand: Brand = Brand()
    formats: list[str] = ["scorm12", "scorm2004", "cmi5", "xapi", "web"]
    # How lessons reach the learner: all in the page, one file per lesson loaded when shown, or "auto"
    # (one file per lesson once a course has more lessons than coursebuild.pipeline.render.SPLIT_ABOVE).
    delivery: Literal["auto", "single", "split"] = "auto"
    base_iri: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")]
    modules: list[ModuleConfig] | None = None
    lessons: list[str] | None = None
    assessment: str | None = None
    scenarios: list[str] = []

    @model_validator(mode="after")
    def _lessons_or_modules(self) -> CourseConfig:
        if (self.modules is None) == (self.lessons is None):
            raise ValueError("give either 'modules' (lessons grouped in modules) or 'lessons', not both")
        return self

    @field_validator("base_iri")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


# --------------------------------------------------------------------------- lessons


class LessonMeta(Strict):
    id: Slug
    title: Text
    minutes: Annotated[int, Field(gt=0, le=240)]
    level: Level
    requirements: list[RequirementId] = []
    objectives: list[Text] = Field(min_length=1)


# --------------------------------------------------------------------------- questions


class Option(Strict):
    id: Slug
    text: Text
    correct: bool = False
    feedback: str = ""
    pinned: bool = False


class QuestionBase(Strict):
    id: Slug
    level: Level | None = None
    requirements: list[RequirementId] = []
    prompt: Text
    case: str | None = None
    feedback: str = ""
    hint: str = ""
    points: Annotated[int, Field(ge=0)] = 1

    @property
    def scored(self) -> bool:
        return self.points > 0

    def max_level(self) -> Level:
        """The highest level this format can evidence (the rule in docs/authoring.md)."""
        return Level.UNDERSTANDING if self.case else Level.FAMILIARITY


# SCORM 1.2 reports choices, items and pairs as single characters (0-9, a-z), so at most 26 letters.
MAX_OPTIONS = 26


class ChoiceQuestion(QuestionBase):
    type: Literal["single", "multiple"]
    options: list[Option] = Field(min_length=2, max_length=MAX_OPTIONS)
    shuffle: bool = True

    @field_validator("options")
    @classmethod
    def _correct_answers(cls, options: list[Option], info: ValidationInfo) -> list[Option]:
        correct = [o for o in options if o.correct]
        if not correct:
            raise ValueError("no option is marked 'correct: true'")
        if info.data.get("type") == "single" and len(correct) > 1:
            raise ValueError(
                f"a single-choice question needs exactly one correct option, found {len(correct)} "
                "(use type: multiple for several)"
            )
        return options


class TrueFalseQuestion(QuestionBase):
    type: Literal["true-false"]
    answer: bool
    feedback_true: str = ""
    feedback_false: str = ""


class FillInQuestion(QuestionBase):
    type: Literal["fill-in"]
    accept: list[Text] = []
    patterns: list[str] = []
    case_sensitive: bool = False

    @model_validator(mode="after")
    def _has_answers(self) -> FillInQuestion:
        if not self.accept and not self.patterns:
            raise ValueError("give at least one accepted answer ('accept') or pattern ('patterns')")
        for pattern in self.patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from None
        for answer in self.accept:
            if len(answer) > 250:
                raise ValueError("accepted answers must be at most 250 characters (SCORM limit)")
        return self


class NumericQuestion(QuestionBase):
    type: Literal["numeric"]
    answer: float | None = None
    tolerance: Annotated[float, Field(ge=0)] = 0
    min: float | None = None
    max: float | None = None
    unit: str = ""

    @model_validator(mode="after")
    def _exact_or_range(self) -> NumericQuestion:
        if self.answer is None and (self.min is None or self.max is None):
            raise ValueError("give 'answer' (with optional 'tolerance') or both 'min' and 'max'")
        if self.answer is not None and (self.min is not None or self.max is not None):
            raise ValueError("give either 'answer' or 'min'/'max', not both")
        return self

    @field_validator("max")
    @classmethod
    def _range_not_empty(cls, value: float | None, info: ValidationInfo) -> float | None:
        low = info.data.get("min")
        if value is not None and low is not None and low > value:
            raise ValueError(f"the range is empty: min ({low:g}) is greater than max ({value:g})")
        return value

    @property
    def bounds(self) -> tuple[float, float]:
        if self.answer is not None:
            return self.answer - self.tolerance, self.answer + self.tolerance
        assert self.min is not None and self.max is not None
        return self.min, self.max


class Pair(Strict):
    id: Slug | None = None
    source: Text
    target: Text


class MatchingQuestion(QuestionBase):
    type: Literal["matching"]
    pairs: list[Pair] = Field(min_length=2, max_length=9)
    distractors: list[Text] = []

    @model_validator(mode="after")
    def _distinct(self) -> MatchingQuestion:
        sources = [p.source for p in self.pairs]
        if len(set(sources)) != len(sources):
            raise ValueError("each matching source must be different")
        targets = [p.target for p in self.pairs] + list(self.distractors)
        if len(set(targets)) != len(targets):
            raise ValueError("each matching target (and distractor) must be different")
        if len(targets) > MAX_OPTIONS:
            raise ValueError(f"at most {MAX_OPTIONS} targets and distractors (SCORM 1.2 reports them as letters)")
        return self


class SequencingQuestion(QuestionBase):
    type: Literal["sequencing"]
    items: list[Text] = Field(min_length=2, max_length=MAX_OPTIONS)

    @model_validator(mode="after")
    def _distinct(self) -> SequencingQuestion:
        if len(set(self.items)) != len(self.items):
            raise ValueError("each item to put in order must be different")
        return self


class LikertQuestion(QuestionBase):
    type: Literal["likert"]
    points: Annotated[int, Field(ge=0, le=0)] = 0
    scale: Annotated[list[Text], Field(max_length=9)] = [
        "Strongly disagree",
        "Disagree",
        "Neither agree nor disagree",
        "Agree",
        "Strongly agree",
    ]
    statements: list[Text] = []
    # Self-assessment that points to advanced courses: agreement suggests these archetypes.
    archetypes: list[Archetype] = []

    @model_validator(mode="after")
    def _no_level(self) -> LikertQuestion:
        if self.level is not None:
            raise ValueError("a likert item is self-assessment and cannot claim a taxonomy level; remove 'level'")
        if len(self.scale) < 2:
            raise ValueError("a likert scale needs at least two points")
        return self


Question = Annotated[
    ChoiceQuestion
    | TrueFalseQuestion
    | FillInQuestion
    | NumericQuestion
    | MatchingQuestion
    | SequencingQuestion
    | LikertQuestion,
    Field(discriminator="type"),
]
QUESTION_MODELS: dict[str, type[QuestionBase]] = {
    "single": ChoiceQuestion,
    "multiple": ChoiceQuestion,
    "true-false": TrueFalseQuestion,
    "fill-in": FillInQuestion,
    "numeric": NumericQuestion,
    "matching": MatchingQuestion,
    "sequencing": SequencingQuestion,
    "likert": LikertQuestion,
}
QUESTION_TYPES = tuple(QUESTION_MODELS)


class Media(Strict):
    """A video or audio clip in a lesson: captions (WebVTT) or a transcript are required."""

    src: str
    kind: Literal["video", "audio"] = "video"
    title: Text
    captions: str | None = None
    captions_language: str = "en-GB"
    transcript: str | None = None
    poster: str | None = None

    @model_validator(mode="after")
    def _accessible(self) -> Media:
        if self.kind == "video" and not self.captions:
            raise ValueError(
                "a video needs 'captions' (a WebVTT .vtt file) so deaf and hard-of-hearing learners can follow it"
            )
        if not self.transcript:
            raise ValueError("give a 'transcript' (Markdown text) for learners who cannot play media")
        if self.captions and not self.captions.endswith(".vtt"):
            raise ValueError("captions must be a WebVTT file ending in .vtt")
        return self


class AssessmentMeta(Strict):
    id: Slug
    title: Text
    draw: Annotated[int, Field(gt=0)] | None = None
    attempts: Annotated[int, Field(ge=0)] = 0
    shuffle: bool = True
    review: bool = True


# --------------------------------------------------------------------------- scenarios


class Rating(str, enum.Enum):
    BEST = "best"
    ACCEPTABLE = "acceptable"
    UNSAFE = "unsafe"

    @property
    def score(self) -> float:
        return {"best": 1.0, "acceptable": 0.5, "unsafe": 0.0}[self.value]


class Choice(Strict):
    id: Slug
    text: Text
    goto: Slug
    rating: Rating
    feedback: Text
    level: Level | None = None
    requirements: list[RequirementId] | None = None


class Scene(Strict):
    title: Text
    text: Text
    image: str | None = None
    image_alt: str | None = None
    choices: list[Choice] = Field(default=[], max_length=MAX_OPTIONS)
    ending: bool = False
    outcome: Rating | None = None

    @model_validator(mode="after")
    def _ending_shape(self) -> Scene:
        if self.ending and self.choices:
            raise ValueError("an ending scene cannot have choices")
        if self.ending and self.outcome is None:
            raise ValueError("an ending needs an 'outcome' (best, acceptable or unsafe)")
        if self.image and not self.image_alt:
            raise ValueError("an image needs 'image_alt' text describing it")
        return self


class ScenarioSource(Strict):
    id: Slug
    title: Text
    description: str = ""
    level: Level
    requirements: list[RequirementId] = []
    fictional: bool = False
    start: Slug
    scenes: dict[Slug, Scene] = Field(min_length=1)


# --------------------------------------------------------------------------- the compiled course


Lines = dict[tuple[str | int, ...], int]


@dataclass
class SourceRef:
    """Where something was written, for error messages."""

    path: Path
    line: int | None = None


@dataclass
class HtmlPart:
    html: str


@dataclass
class QuestionPart:
    question_id: str


BodyPart = HtmlPart | QuestionPart


@dataclass
class PlacedQuestion:
    """A question together with where it was written and the context it inherits."""

    question: QuestionBase
    source: SourceRef
    prompt_html: str = ""
    case_html: str = ""
    feedback_html: str = ""
    option_feedback_html: dict[str, str] = field(default_factory=dict)
    lines: Lines = field(default_factory=dict)
    # A translated matching question keeps the source's order of targets (sorted in the source language),
    # so target ids (t1, t2, ...) and SCORM 1.2 letters mean the same in every language.
    target_order: list[str] | None = None

    def line_of(self, *path: str | int) -> int | None:
        return line_in(self.lines, path, self.source.line)

    def targets(self) -> list[str]:
        """A matching question's targets and distractors in their reporting (and display) order."""
        assert isinstance(self.question, MatchingQuestion)
        if self.target_order is not None:
            return list(self.target_order)
        return sorted({p.target for p in self.question.pairs} | set(self.question.distractors))


@dataclass
class Lesson:
    meta: LessonMeta
    source: SourceRef
    module_id: str | None
    body: list[BodyPart]
    questions: list[PlacedQuestion]
    assets: set[str] = field(default_factory=set)
    word_count: int = 0
    meta_lines: Lines = field(default_factory=dict)
    # A hash of what the lesson was made from (its text, place, module and the course folder's listing),
    # when it was parsed with the lesson cache; see coursebuild.pipeline.render.lesson_fingerprint.
    provenance: str = ""

    @property
    def id(self) -> str:
        return self.meta.id

    def meta_line(self, *path: str | int) -> int | None:
        return line_in(self.meta_lines, path, 2)


@dataclass
class Module:
    id: str
    title: str
    lessons: list[Lesson]


@dataclass
class Assessment:
    meta: AssessmentMeta
    source: SourceRef
    intro_html: str
    questions: list[PlacedQuestion]


@dataclass
class Scenario:
    source_model: ScenarioSource
    source: SourceRef
    scene_html: dict[str, str]
    choice_feedback_html: dict[tuple[str, str], str]
    scene_lines: dict[str, int] = field(default_factory=dict)
    choice_lines: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.source_model.id


@dataclass
class Course:
    config: CourseConfig
    root: Path
    config_source: SourceRef
    modules: list[Module]
    assessment: Assessment | None = None
    scenarios: list[Scenario] = field(default_factory=list)
    assets: set[str] = field(default_factory=set)
    config_lines: Lines = field(default_factory=dict)

    def config_line(self, *path: str | int) -> int | None:
        return line_in(self.config_lines, path, None)

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def lessons(self) -> list[Lesson]:
        return [lesson for module in self.modules for lesson in module.lessons]

    def all_questions(self) -> list[PlacedQuestion]:
        placed = [q for lesson in self.lessons for q in lesson.questions]
        if self.assessment:
            placed.extend(self.assessment.questions)
        return placed
