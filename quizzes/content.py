"""The post-test as a file (`post-test.toml` in a course folder). Pure parsing: no database."""

import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from modules.content import ContentError
from quizzes.authoring import ChoiceData, question_problems
from quizzes.grading import ORDERING_MODES
from quizzes.models import Kind, ReviewPolicy


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    kind: str
    topic: str
    stem: str
    rationale: str
    reference: str
    points: Decimal
    multiple_grading: str
    ordering_mode: str
    choices: tuple[ChoiceData, ...]
    title: str = ""
    case_sensitive: bool = False
    blank_input: str = "select"


@dataclass(frozen=True)
class QuizSpec:
    settings: dict
    draw: tuple[tuple[str, int], ...]
    questions: tuple[QuestionSpec, ...]


def _decimal(value, where):
    try:
        return Decimal(str(value))
    except InvalidOperation as error:
        raise ContentError(f"{where}: {value!r} is not a decimal number.") from error


def read_quiz_file(path) -> QuizSpec:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ContentError(f"{path}: {error}") from error
    quiz = data.get("quiz", {})
    policy = quiz.get("show_answers", ReviewPolicy.AFTER_PASS_OR_LAST)
    if policy not in ReviewPolicy.values:
        raise ContentError(f"{path}: show_answers must be one of {', '.join(ReviewPolicy.values)}.")
    settings = {
        "title": quiz.get("title", "Post-test"),
        "pass_mark_percent": _decimal(quiz.get("pass_mark_percent", "80"), f"{path}: pass_mark_percent"),
        "attempts_allowed": int(quiz.get("attempts_allowed", 3)),
        "time_limit_minutes": int(quiz.get("time_limit_minutes", 0)) or None,
        "shuffle_questions": bool(quiz.get("shuffle_questions", True)),
        "shuffle_choices": bool(quiz.get("shuffle_choices", True)),
        "review_policy": policy,
    }
    draw = tuple((rule["topic"], int(rule["count"])) for rule in quiz.get("draw", []))
    questions = tuple(_question(path, i, q) for i, q in enumerate(data.get("questions", []), start=1))
    keys = [q.key for q in questions]
    if len(set(keys)) != len(keys):
        raise ContentError(f"{path}: two questions share a key.")
    for topic, count in draw:
        available = sum(1 for q in questions if q.topic == topic)
        if available < count:
            raise ContentError(
                f"{path}: the draw asks for {count} {topic} questions; the bank has {available}."
            )
    return QuizSpec(settings=settings, draw=draw, questions=questions)


def _question(path, index, q):
    where = f"{path}: question {index} ({q.get('key', 'no key')})"
    for name in ("key", "kind", "topic", "stem", "rationale"):
        if not q.get(name):
            raise ContentError(f"{where}: missing {name}.")
    if q["kind"] not in Kind.values:
        raise ContentError(f"{where}: unknown kind {q['kind']!r}.")
    ordering_mode = q.get("ordering_mode", "absolute_position")
    if ordering_mode not in ORDERING_MODES:
        raise ContentError(f"{where}: unknown ordering_mode {ordering_mode!r}.")
    choices = [
        ChoiceData(
            text=c.get("text", ""),
            is_correct=bool(c.get("correct", False)),
            weight=_decimal(c["weight"], where) if "weight" in c else None,
            correct_position=c.get("position"),
            match_text=c.get("match", ""),
            # numerical answers: value (± tolerance) or a range; strings, so they stay exact Decimals
            number=_decimal(c["number"], where) if "number" in c else None,
            tolerance=_decimal(c["tolerance"], where) if "tolerance" in c else None,
            range_low=_decimal(c["low"], where) if "low" in c else None,
            range_high=_decimal(c["high"], where) if "high" in c else None,
        )
        for c in q.get("choices", [])
    ]
    choices += [ChoiceData(match_text=text) for text in q.get("distractors", [])]
    grading = q.get("grading", "all_or_nothing")
    blank_input = q.get("blank_input", "select")
    if blank_input not in ("select", "text"):
        raise ContentError(f"{where}: blank_input must be select or text.")
    if q["kind"] == "numerical" and q.get("units"):
        raise ContentError(f"{where}: units are set in the admin, not in the content file.")
    problems = question_problems(
        q["kind"], choices, multiple_grading=grading, stem=q["stem"], blank_input=blank_input
    )
    if problems:
        raise ContentError(f"{where}: {' '.join(problems)}")
    return QuestionSpec(
        key=q["key"],
        kind=q["kind"],
        topic=q["topic"],
        title=q.get("title", ""),
        stem=q["stem"],
        rationale=q["rationale"],
        reference=q.get("reference", ""),
        points=_decimal(q.get("points", "1"), where),
        multiple_grading=grading,
        ordering_mode=ordering_mode,
        choices=tuple(choices),
        case_sensitive=bool(q.get("case_sensitive", False)),
        blank_input=blank_input,
    )
