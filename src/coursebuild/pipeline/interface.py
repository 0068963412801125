"""The interface strings of the themes and of the Markdown renderer, in one table keyed by language.

(The learner runtime's own strings are in one table of the same kind in runtime/src/strings.js.)
Keys ending in `_one`/`_other` are chosen by a count. A string may hold HTML from this table only: values
put into it are escaped. The Welsh strings were written with care but are not yet checked by a fluent
Welsh speaker (see docs/translation.md): they are marked for review.
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup

EN = {
    "skip": "Skip to content",
    "search_label": "Search this course",
    "search_button": "Search",
    "lesson_loading": "Loading the lesson…",
    "lessons": "Lessons",
    "lesson_count": "{n} lessons",
    "lesson_load_failed": "This lesson could not be loaded. Check your connection, then",
    "try_again": "try again",
    "draft": "DRAFT: this build has unfilled content and must not be published.",
    "draft_translation": "DRAFT translation: some of this course is not yet translated and is shown in its original "
    "language. Do not publish this build.",
    "logo": "Logo",
    "exit": "Exit course",
    "contents": "Course contents",
    "footer_version": "version",
    "introduction": "Introduction",
    "results": "Your results",
    "pager": "Page",
    "previous": "Previous",
    "next": "Next",
    "start": "Start the course",
    "self_assessment": "Self-assessment",
    "knowledge_check": "Knowledge check",
    "question_number": "Question {n}. ",
    "choose_one": "Choose one answer.",
    "choose_all": "Choose all that apply.",
    "true": "True",
    "false": "False",
    "your_answer": "Your answer",
    "in_unit": " (in {unit})",
    "matching_caption": "Match each item on the left with an answer",
    "match_for": "Match for: ",
    "choose": "Choose…",
    "sequence_help": "Use the buttons to put the items in order, first at the top.",
    "move_up": "Move up",
    "move_down": "Move down",
    "hint": "Show a hint",
    "save_answers": "Save my answers",
    "check_answer": "Check my answer",
    "pass_needed": "You need {mark}% to pass.",
    "attempts_one": " You have {n} attempt.",
    "attempts_other": " You have {n} attempts.",
    "draw": " Each attempt has {n} questions.",
    "submit": "Submit answers",
    "audience": "Who it is for",
    "duration_label": "Time needed",
    "duration": "About {n} minutes",
    "to_pass": "To pass",
    "pass_in": "{mark}% or more in the {title_lower}",
    "covers": "What this course covers",
    "minutes_short": "({n} min)",
    "minutes": "{n} minutes",
    "requirements": "Requirements: {ids}",
    "objectives": "In this lesson you will learn to",
    "level.awareness": "Awareness",
    "level.familiarity": "Familiarity",
    "level.understanding": "Understanding",
    "level.capability": "Capability",
    "level.proficiency": "Proficiency",
    "no_lms_title": "Your progress is not being recorded",
    "no_lms_1": "This course could not connect to your learning management system (LMS), so your progress and results "
    "will not be saved.",
    "no_lms_2": "If you expected your progress to be recorded, close this window and open the course again from your "
    "LMS. If that does not help, contact your LMS administrator.",
    "no_lms_continue": "Continue without saving",
    "ended_title": "Open the course again from your learning system",
    "ended_1": "This session with your learning system has ended, because the page was reloaded or reopened. Your "
    "progress up to now is saved.",
    "ended_2": "To carry on, go back to your learning system and open the course again: it will continue where you "
    "left off.",
    "ended_back": "Back to your learning system",
    "results_intro": "Your progress is shown here as you work through the course.",
    "certificate": "Certificate of completion",
    "certificate_text": "This confirms that {name} completed {title} (version {version}){organisation}.",
    "certificate_from": " from {organisation}",
    "the_learner": "the learner",
    "print": "Print certificate",
    "fictional_note": "The people, organisations and product in this scenario are fictional, taken from the case study "
    "in the report <cite>Developing healthcare workers' confidence in AI</cite> (Health Education "
    "England and NHS AI Lab, 2022).",
    "what_do_you_do": "What do you do?",
    "rating.best": "Best choice",
    "rating.acceptable": "Acceptable, but not the best",
    "rating.unsafe": "Unsafe choice",
    "restart": "Try the scenario again",
    "callout.key-point": "Key point",
    "callout.clinical-example": "Clinical example",
    "callout.caution": "Caution",
    "callout.fictional": "Fictional case study",
    "callout.reflection": "Reflection",
    "callout.quote": "Quotation",
    "callout.key-points": "Key points",
    "transcript": "Transcript",
    "captions": "Captions",
    "table": "Table",
}

# Welsh (Cymraeg): to be reviewed by a fluent Welsh speaker before publication (docs/translation.md).
CY = {
    "skip": "Neidio i’r cynnwys",
    "search_label": "Chwilio’r cwrs hwn",
    "search_button": "Chwilio",
    "lesson_loading": "Wrthi’n llwytho’r wers…",
    "lessons": "Gwersi",
    "lesson_count": "Nifer y gwersi: {n}",
    "lesson_load_failed": "Nid oedd modd llwytho’r wers hon. Gwiriwch eich cysylltiad, yna",
    "try_again": "rhowch gynnig arall arni",
    "draft": "DRAFFT: mae cynnwys heb ei lenwi yn y fersiwn hon, ac ni ddylid ei chyhoeddi.",
    "draft_translation": "Cyfieithiad DRAFFT: nid yw rhan o’r cwrs hwn wedi’i chyfieithu eto, ac mae’n cael ei "
    "dangos yn ei hiaith wreiddiol. Peidiwch â chyhoeddi’r fersiwn hon.",
    "logo": "Logo",
    "exit": "Gadael y cwrs",
    "contents": "Cynnwys y cwrs",
    "footer_version": "fersiwn",
    "introduction": "Cyflwyniad",
    "results": "Eich canlyniadau",
    "pager": "Tudalen",
    "previous": "Blaenorol",
    "next": "Nesaf",
    "start": "Dechrau’r cwrs",
    "self_assessment": "Hunanasesiad",
    "knowledge_check": "Gwirio gwybodaeth",
    "question_number": "Cwestiwn {n}. ",
    "choose_one": "Dewiswch un ateb.",
    "choose_all": "Dewiswch bob un sy’n berthnasol.",
    "true": "Gwir",
    "false": "Gau",
    "your_answer": "Eich ateb",
    "in_unit": " (mewn {unit})",
    "matching_caption": "Parwch bob eitem ar y chwith ag ateb",
    "match_for": "Pâr ar gyfer: ",
    "choose": "Dewiswch…",
    "sequence_help": "Defnyddiwch y botymau i roi’r eitemau mewn trefn, gyda’r cyntaf ar y brig.",
    "move_up": "Symud i fyny",
    "move_down": "Symud i lawr",
    "hint": "Dangos awgrym",
    "save_answers": "Cadw fy atebion",
    "check_answer": "Gwirio fy ateb",
    "pass_needed": "Mae angen {mark}% arnoch i basio.",
    # Welsh counts need mutations and plural forms by number; a count after a colon needs neither.
    "attempts_one": " Nifer y cynigion sydd gennych: {n}.",
    "attempts_other": " Nifer y cynigion sydd gennych: {n}.",
    "draw": " Nifer y cwestiynau ym mhob cynnig: {n}.",
    "submit": "Cyflwyno’r atebion",
    "audience": "Ar gyfer pwy",
    "duration_label": "Amser sydd ei angen",
    "duration": "Tua {n} munud",
    "to_pass": "I basio",
    "pass_in": "{mark}% neu fwy yn “{title}”",
    "covers": "Beth mae’r cwrs hwn yn ei gynnwys",
    "minutes_short": "({n} mun)",
    "minutes": "{n} munud",
    "requirements": "Gofynion: {ids}",
    "objectives": "Erbyn diwedd y wers hon, byddwch chi’n gallu:",
    "level.awareness": "Ymwybyddiaeth",
    "level.familiarity": "Cynefindra",
    "level.understanding": "Dealltwriaeth",
    "level.capability": "Gallu",
    "level.proficiency": "Hyfedredd",
    "no_lms_title": "Nid yw eich cynnydd yn cael ei gofnodi",
    "no_lms_1": "Nid oedd y cwrs hwn yn gallu cysylltu â’ch system rheoli dysgu (LMS), felly ni fydd eich cynnydd "
    "na’ch canlyniadau’n cael eu cadw.",
    "no_lms_2": "Os oeddech chi’n disgwyl i’ch cynnydd gael ei gofnodi, caewch y ffenestr hon ac agorwch y cwrs eto "
    "o’ch LMS. Os nad yw hynny’n helpu, cysylltwch â gweinyddwr eich LMS.",
    "no_lms_continue": "Parhau heb gadw",
    "ended_title": "Agorwch y cwrs eto o’ch system ddysgu",
    "ended_1": "Mae’r sesiwn hon gyda’ch system ddysgu wedi dod i ben, oherwydd bod y dudalen wedi’i hail-lwytho "
    "neu ei hailagor. Mae eich cynnydd hyd yma wedi’i gadw.",
    "ended_2": "I barhau, ewch yn ôl i’ch system ddysgu ac agorwch y cwrs eto: bydd yn parhau o’r man lle "
    "gwnaethoch chi adael.",
    "ended_back": "Yn ôl i’ch system ddysgu",
    "results_intro": "Bydd eich cynnydd yn cael ei ddangos yma wrth i chi weithio drwy’r cwrs.",
    "certificate": "Tystysgrif cwblhau",
    "certificate_text": "Mae hyn yn cadarnhau bod {name} wedi cwblhau {title} (fersiwn {version}){organisation}.",
    "certificate_from": " gan {organisation}",
    "the_learner": "y dysgwr",
    "print": "Argraffu’r dystysgrif",
    "fictional_note": "Mae’r bobl, y sefydliadau a’r cynnyrch yn y senario hwn yn ffuglennol. Maen nhw’n dod o’r "
    'astudiaeth achos yn yr adroddiad <cite lang="en">Developing healthcare workers\' confidence in '
    "AI</cite> (Health Education England ac NHS AI Lab, 2022).",
    "what_do_you_do": "Beth ydych chi’n ei wneud?",
    "rating.best": "Y dewis gorau",
    "rating.acceptable": "Derbyniol, ond nid y gorau",
    "rating.unsafe": "Dewis anniogel",
    "restart": "Rhoi cynnig arall ar y senario",
    "callout.key-point": "Pwynt allweddol",
    "callout.clinical-example": "Enghraifft glinigol",
    "callout.caution": "Rhybudd",
    "callout.fictional": "Astudiaeth achos ffuglennol",
    "callout.reflection": "Myfyrio",
    "callout.quote": "Dyfyniad",
    "callout.key-points": "Pwyntiau allweddol",
    "transcript": "Trawsgrifiad",
    "captions": "Capsiynau",
    "table": "Tabl",
}

STRINGS: dict[str, dict[str, str]] = {"en": EN, "cy": CY}


def primary(language: str | None) -> str:
    return (language or "en").split("-")[0].lower()


def text(language: str | None, key: str, **values: object) -> Markup:
    """The string `key` in `language` (English where that language lacks it), with `values` escaped in."""
    if not values:
        return _plain_text(language, key)
    return _text(language, key, **values)


@lru_cache(maxsize=1024)
def _plain_text(language: str | None, key: str) -> Markup:
    # Templates ask for the same few strings on every page; a 1,000-lesson course asks thousands of times.
    return _text(language, key)


def _text(language: str | None, key: str, **values: object) -> Markup:
    table = STRINGS.get(primary(language), EN)
    count = values.get("n")
    if isinstance(count, int) and f"{key}_one" in EN:
        key = f"{key}_one" if count == 1 else f"{key}_other"
    return Markup(table.get(key, EN[key])).format(**values)


def translator(language: str | None):
    """`t(key, **values)` for templates."""
    return lambda key, **values: text(language, key, **values)
