"""GIFT (Moodle's "General Import Format Technology") parser and exporter.

Pure Python, no Django.  ``parse_gift`` turns GIFT text into frozen dataclasses and
``export_gift`` writes them back.  The parser is a hand-written scanner: the input is
split into blocks (questions are separated by blank lines, as in Moodle), and each block
is read left to right with a small set of "find the next unescaped X" scans.  There is
no recursion, every scan is linear, and the input size is capped, so hostile input
costs at most a few passes over ``max_chars`` characters.  ``parse_gift`` never raises:
everything that goes wrong is reported as a ``GiftProblem`` carrying a 1-based line
number.

Supported question kinds (``GiftQuestion.kind``):

``"single"``
    Multiple choice with exactly one ``=`` answer (``~`` answers may still carry a
    partial-credit weight such as ``~%50%``; Moodle shows this as one radio group).
``"multiple"``
    Multiple choice with several ``=`` answers, or with no ``=`` answer and weighted
    ``~%33.3%`` answers (Moodle's "multiple answers allowed").  Note: Moodle itself
    treats *several* ``=`` answers as a single-answer question in which any of them
    scores 100%; we classify that as "multiple" because that is what authors mean.
``"true_false"``
    ``{T}``, ``{TRUE}``, ``{F}``, ``{FALSE}``, optionally ``{TRUE#wrong#right}``.
``"matching"``
    ``{=prompt -> answer ...}``.
``"short_answer"``
    Only ``=`` answers (``{=a =%50%b}``), or one answer with no ``=`` (``{One}``).
``"numerical"``
    ``{#3.5:0.1}``, ``{#1..5}``, ``{#3.5}``, or ``{# =%100%3:0 =%50%3:1 ~#feedback}``;
    numbers go to ``GiftChoice.number``/``tolerance``/``range_low``/``range_high``.
``"cloze"``
    Missing word: an answer block followed by more text.  The stem holds ``BLANK`` where
    the block was; ``blank_input`` is "select" for one ``=`` among ``~`` answers, "text"
    for short-answer style answers.  A numerical block followed by text stays
    ``"numerical"``, its stem holding ``BLANK``.

Unsupported items are reported as ``GiftUnsupported`` problems and never guessed:
``"essay"``, ``"missing word"`` of a kind a blank cannot take (several right answers,
matching, true/false) and ``"description"`` (a block of text with no answer block at all:
Moodle's description item, which we do not import).

``$CATEGORY: path`` lines become ``GiftCategory`` entries, and every following question
carries that path in ``GiftQuestion.category`` (downstream maps it to a topic).

Text handling (matches the reference JS PEG grammar's conformance data):

* Escapes ``\\~ \\= \\# \\{ \\} \\: \\\\`` give the literal character and ``\\n`` a line break.
  A backslash before any other character is kept as a literal backslash.
* Each text is trimmed.  In the default ``moodle`` format a run of whitespace that
  contains a line break becomes one space (lines are joined); ``html``, ``markdown``
  and ``plain`` texts keep their line breaks and indentation.
* Lines whose first non-blank characters are ``//`` are comments, wherever they are.
  ``// [id:X]`` and ``// [tag:Y]`` comments inside a question's block set its
  ``id`` and ``tags``.
* A blank line always ends a question, so an unclosed ``{`` only spoils one question.

Limits: ``max_chars`` (default 2,000,000) and ``max_questions`` (default 2,000 items)
per call, ``MAX_ANSWERS`` answers and ``MAX_TAGS`` tags per question; exceeding one is
reported as ``GiftLimitExceeded``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from quizzes.grading import BLANK

__all__ = [
    "BLANK",
    "DEFAULT_MAX_CHARS",
    "DEFAULT_MAX_QUESTIONS",
    "FORMATS",
    "MAX_ANSWERS",
    "MAX_TAGS",
    "GiftCategory",
    "GiftChoice",
    "GiftLimitExceeded",
    "GiftParseResult",
    "GiftProblem",
    "GiftQuestion",
    "GiftSyntaxError",
    "GiftUnit",
    "GiftUnsupported",
    "export_gift",
    "parse_gift",
]

DEFAULT_MAX_QUESTIONS = 2_000
DEFAULT_MAX_CHARS = 2_000_000

FORMATS = ("moodle", "html", "markdown", "plain")
DEFAULT_FORMAT = "moodle"
QUESTION_KINDS = ("single", "multiple", "true_false", "matching", "numerical", "short_answer", "cloze")

_WS = " \t\n\r\f\v"
_ESCAPABLE = "~=#{}:\\"
_TF_VALUES = {"T": True, "TRUE": True, "F": False, "FALSE": False}
MAX_ANSWERS = 100
MAX_TAGS = 100
_MIN_WEIGHT = Decimal(-100)
_MAX_WEIGHT = Decimal(100)

_FORMAT_RE = re.compile(r"\[(moodle|html|markdown|plain)\]")
_WEIGHT_RE = re.compile(r"%(-?(?:\d+(?:\.\d*)?|\.\d+))%")
_META_ID_RE = re.compile(r"\[id:([^\[\]\n]*)\]")
_META_TAG_RE = re.compile(r"\[tag:([^\[\]\n]*)\]")
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?"
_NUMERIC_ANSWER_RE = re.compile(
    rf"(?P<low>{_NUMBER})\s*\.\.\s*(?P<high>{_NUMBER})|(?P<num>{_NUMBER})(?:\s*:\s*(?P<tol>{_NUMBER}))?"
)


def _scanner(target: str, first_chars: str) -> re.Pattern[str]:
    """A pattern for ``_find``: either an escape pair plus everything up to the next
    possible start of ``target`` (skipped in one step), or ``target`` itself."""
    skip = r"\\[\s\S](?:[^\\" + re.escape(first_chars) + r"]|\\[\s\S])*"
    return re.compile(skip + "|" + target)


_BRACE_RE = _scanner(r"[{}]", "{}")
_ANSWER_MARK_RE = _scanner(r"[~=]", "~=")
_TILDE_RE = _scanner(r"~", "~")
_HASH_RE = _scanner(r"#", "#")
_GENERAL_FEEDBACK_RE = _scanner(r"####", "#")
_TITLE_END_RE = _scanner(r"::", ":")
_ARROW_RE = _scanner(r"->", "-")
_DECODE_COLLAPSE_RE = re.compile(r"\\([~=#{}:\\n])|([ \t\n\r\f\v]+)")
_DECODE_RE = re.compile(r"\\([~=#{}:\\n])")
_WS_RE = re.compile(r"[ \t\n\r\f\v]*")


# ---------------------------------------------------------------------------
# Data model
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GiftUnit:
    """A unit a numerical question accepts (not GIFT syntax: Moodle XML and QTI carry units).

    Answers are in the first unit (multiplier 1); a number typed in this unit is compared with
    answer × ``multiplier``."""

    name: str
    multiplier: Decimal = Decimal(1)


@dataclass(frozen=True)
class GiftChoice:
    """One answer of a question.

    For matching questions ``text`` is the prompt (sub-question, may be empty for an
    extra distractor answer) and ``match`` the answer it pairs with.  For true/false
    questions the parser produces two choices, ``"True"`` and ``"False"``, whose
    ``feedback`` is what the learner sees after picking that option.

    ``weight`` is the explicit ``%n%`` percentage, or ``None`` when none was written;
    ``credit`` gives the effective percentage.  ``text_format``/``feedback_format`` are
    the formats of the text and feedback; ``None`` means "same as the question's
    ``stem_format``" (the parser always fills them in; ``feedback_format`` is ``None``
    when there is no feedback).
    """

    text: str
    is_correct: bool
    weight: Decimal | None
    feedback: str | None
    match: str | None = None
    text_format: str | None = None
    feedback_format: str | None = None
    # Numerical answers (``text`` is ""): ``number`` with an optional ``tolerance`` (``{#3.5:0.1}``,
    # None when none was written), or the range ``range_low``..``range_high`` (``{#1..5}``). A
    # numerical ``~`` answer with neither (``{#=3:2 ~#wrong}``) is the catch-all for wrong answers.
    number: Decimal | None = None
    tolerance: Decimal | None = None
    range_low: Decimal | None = None
    range_high: Decimal | None = None

    @property
    def credit(self) -> Decimal:
        """Percentage of the marks this answer earns (``=`` is 100, ``~`` is 0 unless weighted)."""
        if self.weight is not None:
            return self.weight
        return Decimal(100) if self.is_correct else Decimal(0)


@dataclass(frozen=True)
class GiftQuestion:
    """A parsed question of a supported kind.

    ``line`` (1-based line where the question starts) is excluded from equality, so a
    question parsed from an export compares equal to the original.
    """

    line: int = field(compare=False)
    kind: str
    title: str | None
    stem: str
    stem_format: str = DEFAULT_FORMAT
    choices: tuple[GiftChoice, ...] = ()
    general_feedback: str | None = None
    general_feedback_format: str | None = None
    category: str | None = None
    true_false_answer: bool | None = None
    id: str | None = None
    tags: tuple[str, ...] = ()
    # Short answer and missing word typed in: whether case matters (GIFT cannot say: False).
    case_sensitive: bool = False
    # Missing word ("cloze"): the stem holds BLANK where the answer block was; "select" when the
    # block offers choices (``{=a ~b}``), "text" when it lists accepted answers (``{=a =b}``).
    blank_input: str = "select"
    # Numerical: units and how a wrong or missing one is graded (GIFT cannot say: none, 10%).
    units: tuple[GiftUnit, ...] = ()
    unit_handling: str = "none"
    unit_penalty: Decimal = Decimal(10)


@dataclass(frozen=True)
class GiftCategory:
    """A ``$CATEGORY: path`` line."""

    line: int
    path: str


@dataclass(frozen=True)
class GiftProblem:
    """Something in the input that did not become a question.  ``message`` starts with ``Line N:``."""

    line: int
    message: str
    kind: str | None = None


@dataclass(frozen=True)
class GiftSyntaxError(GiftProblem):
    """Malformed GIFT (unbalanced braces, bad weights, empty answers, ...)."""


@dataclass(frozen=True)
class GiftUnsupported(GiftProblem):
    """A well-formed item of a kind we do not import (``kind`` says which)."""


@dataclass(frozen=True)
class GiftLimitExceeded(GiftProblem):
    """The input is larger than ``max_chars`` or holds more than ``max_questions`` items."""


@dataclass(frozen=True)
class GiftParseResult:
    questions: tuple[GiftQuestion, ...]
    problems: tuple[GiftProblem, ...]
    categories: tuple[GiftCategory, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


class _BlockError(Exception):
    """Raised inside a block parse; becomes a GiftProblem for that block only."""

    def __init__(
        self,
        line: int,
        message: str,
        *,
        unsupported: str | None = None,
        problem: type[GiftProblem] = GiftSyntaxError,
    ) -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.unsupported = unsupported
        self.problem = problem


_UNSUPPORTED_MESSAGES = {
    "essay": "essay questions are not supported",
    "missing word": (
        "a blank in the sentence takes one choice or a typed answer; this block (several right answers, "
        "matching or true/false) cannot be one: put the answer block at the end of the question"
    ),
    "description": "text without an answer block (a description) is not imported as a question",
}


def _unsupported(line: int, kind: str) -> _BlockError:
    return _BlockError(line, _UNSUPPORTED_MESSAGES[kind], unsupported=kind)


def _find(rx: re.Pattern[str], s: str, pos: int, end: int) -> int:
    """Index of the first unescaped match of ``rx`` in ``s[pos:end]``, or -1."""
    while True:
        m = rx.search(s, pos, end)
        if m is None:
            return -1
        if s[m.start()] == "\\":
            pos = m.end()
            continue
        return m.start()


def _skip_ws(s: str, pos: int, end: int) -> int:
    return _WS_RE.match(s, pos, end).end()


def _decode(raw: str, fmt: str) -> str:
    """Trim, turn escapes into characters and (moodle format) join lines."""
    raw = raw.strip(_WS)
    if not raw:
        return ""
    if fmt == "moodle":
        text = _DECODE_COLLAPSE_RE.sub(_decode_join_lines, raw)
    else:
        text = _DECODE_RE.sub(_decode_escape, raw)
    # Only whitespace left (e.g. a lone "\n" escape) counts as empty.
    return text if text.strip(_WS) else ""


def _decode_escape(m: re.Match[str]) -> str:
    return "\n" if m.group(1) == "n" else m.group(1)


def _decode_join_lines(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        return _decode_escape(m)
    ws = m.group(2)
    return " " if "\n" in ws else ws


class _Block:
    """Consecutive non-blank, non-comment lines of one question, plus its comment lines."""

    __slots__ = ("comments", "line_numbers", "offsets", "text")

    def __init__(self, lines: list[tuple[int, str]], comments: list[str]) -> None:
        self.line_numbers = [n for n, _ in lines]
        self.offsets = []
        pos = 0
        for _, line in lines:
            self.offsets.append(pos)
            pos += len(line) + 1
        self.text = "\n".join(line for _, line in lines)
        self.comments = comments

    @property
    def first_line(self) -> int:
        return self.line_numbers[0]

    def line_at(self, pos: int) -> int:
        return self.line_numbers[max(0, bisect.bisect_right(self.offsets, pos) - 1)]


class _BlockParser:
    def __init__(self, block: _Block, category: str | None) -> None:
        self.block = block
        self.s = block.text
        self.category = category
        self.qid, self.tags = _metadata(block)
        self.stem_format = DEFAULT_FORMAT

    def error(self, pos: int, message: str) -> _BlockError:
        return _BlockError(self.block.line_at(pos), message)

    def read_format(self, pos: int, end: int, default: str) -> tuple[str, int]:
        """An optional ``[format]`` after whitespace -> (format, position after it)."""
        pos = _skip_ws(self.s, pos, end)
        m = _FORMAT_RE.match(self.s, pos, end)
        if m:
            return m.group(1), m.end()
        return default, pos

    def parse(self) -> GiftQuestion:
        s = self.s
        end = len(s)
        start_line = self.block.first_line
        pos = _skip_ws(s, 0, end)

        title = None
        if s.startswith("::", pos):
            close = _find(_TITLE_END_RE, s, pos + 2, end)
            if close < 0:
                raise self.error(pos, "the question title starting with '::' is never closed with '::'")
            title = _decode(s[pos + 2 : close], "moodle") or None
            pos = close + 2

        self.stem_format, stem_start = self.read_format(pos, end, DEFAULT_FORMAT)

        open_pos = _find(_BRACE_RE, s, stem_start, end)
        if open_pos < 0:
            raise _unsupported(start_line, "description")
        if s[open_pos] == "}":
            raise self.error(open_pos, "unexpected '}' before any '{' (escape a literal brace as \\})")
        close_pos = _find(_BRACE_RE, s, open_pos + 1, end)
        if close_pos < 0:
            raise self.error(
                open_pos,
                "the answer block opened with '{' is never closed with '}' "
                "(note that a blank line ends a question)",
            )
        if s[close_pos] == "{":
            raise self.error(
                close_pos, "unexpected '{' inside an answer block (escape a literal brace as \\{)"
            )
        extra = _find(_BRACE_RE, s, close_pos + 1, end)
        if extra >= 0:
            if s[extra] == "{":
                raise self.error(extra, "a second answer block; separate questions with a blank line")
            raise self.error(extra, "unexpected '}' (escape a literal brace as \\})")

        # Text after the block makes a missing word only if it is text once decoded: an escaped
        # "\n" alone decodes to whitespace, which the stem would lose (and export could not write).
        embedded = bool(_decode(s[close_pos + 1 :], self.stem_format))
        if embedded:
            # Missing word: the stem keeps its text on both sides, the blank where the block was.
            if BLANK in s[stem_start:open_pos] or BLANK in s[close_pos + 1 :]:
                raise self.error(stem_start, f"the text itself holds {BLANK}, which marks the blank")
            stem = _decode(s[stem_start:open_pos] + BLANK + s[close_pos + 1 :], self.stem_format)
        else:
            stem = _decode(s[stem_start:open_pos], self.stem_format)
        return self.parse_answers(open_pos + 1, close_pos, stem, title, embedded)

    def parse_answers(self, a: int, b: int, stem: str, title: str | None, embedded: bool) -> GiftQuestion:
        s = self.s
        start_line = self.block.first_line

        general_feedback = None
        general_feedback_format = None
        body_end = b
        gf = _find(_GENERAL_FEEDBACK_RE, s, a, b)
        if gf >= 0:
            body_end = gf
            fmt, fpos = self.read_format(gf + 4, b, self.stem_format)
            general_feedback = _decode(s[fpos:b], fmt) or None
            general_feedback_format = fmt if general_feedback is not None else None

        first = _skip_ws(s, a, body_end)
        if first >= body_end:
            raise _unsupported(start_line, "essay")
        numerical = s[first] == "#"

        common = {
            "line": start_line,
            "title": title,
            "stem": stem,
            "stem_format": self.stem_format,
            "general_feedback": general_feedback,
            "general_feedback_format": general_feedback_format,
            "category": self.category,
            "id": self.qid,
            "tags": self.tags,
        }

        if numerical:
            self.require_stem(stem)
            return self.numerical(first + 1, body_end, common)

        first_mark = _find(_ANSWER_MARK_RE, s, first, body_end)
        if first_mark < 0:
            head_end = _find(_HASH_RE, s, first, body_end)
            head = s[first : head_end if head_end >= 0 else body_end].strip(_WS)
            if head not in _TF_VALUES:
                # One accepted short answer needs no '=' (Moodle): {One}
                self.require_stem(stem)
                question = self.short_answer([("=", first, body_end)], common)
                return replace(question, kind="cloze", blank_input="text") if embedded else question
            if embedded:
                raise _unsupported(start_line, "missing word")
            self.require_stem(stem)
            return self.true_false(_TF_VALUES[head], head_end, body_end, common)

        if first_mark != first:
            raise self.error(
                first,
                "unexpected text before the first answer (answers start with '=' or '~'; "
                "escape a literal '=', '~' or '#' with a backslash)",
            )
        # Same order as Moodle: any '~' makes it multiple choice, '=' with '->' matching.
        if _find(_TILDE_RE, s, first, body_end) >= 0:
            kind = "mc"
        elif _find(_ARROW_RE, s, first, body_end) >= 0:
            kind = "matching"
        else:
            kind = "short_answer"
        if embedded and kind == "matching":
            raise _unsupported(start_line, "missing word")
        self.require_stem(stem)

        marks = [first_mark]
        while len(marks) <= MAX_ANSWERS:
            m = _find(_ANSWER_MARK_RE, s, marks[-1] + 1, body_end)
            if m < 0:
                break
            marks.append(m)
        else:
            raise _BlockError(
                start_line, f"too many answers (the limit is {MAX_ANSWERS})", problem=GiftLimitExceeded
            )
        segments = [
            (s[m], m + 1, marks[i + 1] if i + 1 < len(marks) else body_end) for i, m in enumerate(marks)
        ]
        if kind == "mc":
            question = self.multiple_choice(segments, common)
            if embedded and question.kind != "single":
                # A blank takes one choice: several right answers cannot be offered in it.
                raise _unsupported(start_line, "missing word")
            return replace(question, kind="cloze") if embedded else question
        if kind == "short_answer":
            question = self.short_answer(segments, common)
            return replace(question, kind="cloze", blank_input="text") if embedded else question
        return self.matching(segments, common)

    def require_stem(self, stem: str) -> None:
        if not stem:
            raise _BlockError(self.block.first_line, "the question text is empty")

    def feedback(self, hash_pos: int, end: int) -> tuple[str | None, str | None]:
        fmt, fpos = self.read_format(hash_pos + 1, end, self.stem_format)
        text = _decode(self.s[fpos:end], fmt)
        if not text:
            return None, None
        return text, fmt

    def true_false(self, answer: bool, hash1: int, end: int, common: dict) -> GiftQuestion:
        wrong = right = (None, None)
        if hash1 >= 0:
            hash2 = _find(_HASH_RE, self.s, hash1 + 1, end)
            if hash2 >= 0:
                hash3 = _find(_HASH_RE, self.s, hash2 + 1, end)
                if hash3 >= 0:
                    raise self.error(
                        hash3, "a true/false answer takes at most two feedbacks (escape a literal '#' as \\#)"
                    )
                right = self.feedback(hash2, end)
            wrong = self.feedback(hash1, hash2 if hash2 >= 0 else end)
        fmt = self.stem_format
        true_fb, false_fb = (right, wrong) if answer else (wrong, right)
        choices = (
            GiftChoice("True", answer, None, true_fb[0], text_format=fmt, feedback_format=true_fb[1]),
            GiftChoice("False", not answer, None, false_fb[0], text_format=fmt, feedback_format=false_fb[1]),
        )
        return GiftQuestion(kind="true_false", choices=choices, true_false_answer=answer, **common)

    def split_answer(self, start: int, end: int) -> tuple[Decimal | None, int, int, int]:
        """-> (weight, text_start, text_end, hash_pos or -1) for one ``~``/``=`` segment."""
        s = self.s
        pos = _skip_ws(s, start, end)
        weight = None
        m = _WEIGHT_RE.match(s, pos, end)
        if m:
            try:
                weight = Decimal(m.group(1))
            except InvalidOperation:  # pragma: no cover - the regex only admits plain decimals
                raise self.error(pos, f"invalid answer weight {m.group(0)!r}") from None
            if not _MIN_WEIGHT <= weight <= _MAX_WEIGHT:
                raise self.error(pos, f"answer weight {m.group(0)} is outside -100%..100%")
            pos = m.end()
        hash_pos = _find(_HASH_RE, s, pos, end)
        if hash_pos >= 0:
            again = _find(_HASH_RE, s, hash_pos + 1, end)
            if again >= 0:
                raise self.error(again, "an answer takes one feedback (escape a literal '#' as \\#)")
        return weight, pos, hash_pos if hash_pos >= 0 else end, hash_pos

    def multiple_choice(self, segments: list[tuple[str, int, int]], common: dict) -> GiftQuestion:
        choices = []
        for mark, start, end in segments:
            weight, tpos, tend, hash_pos = self.split_answer(start, end)
            fmt, tpos = self.read_format(tpos, tend, self.stem_format)
            text = _decode(self.s[tpos:tend], fmt)
            if not text:
                raise self.error(start, f"empty answer after '{mark}'")
            feedback, feedback_format = self.feedback(hash_pos, end) if hash_pos >= 0 else (None, None)
            choices.append(
                GiftChoice(
                    text=text,
                    is_correct=mark == "=",
                    weight=weight,
                    feedback=feedback,
                    text_format=fmt,
                    feedback_format=feedback_format,
                )
            )
        line = common["line"]
        if len(choices) < 2:
            raise _BlockError(line, "a multiple-choice question needs at least two answers")
        if not any(c.credit > 0 for c in choices):
            raise _BlockError(
                line, "no answer earns credit (mark the right answer with '=' or give it a positive %weight%)"
            )
        correct = sum(1 for mark, _, _ in segments if mark == "=")
        kind = "single" if correct == 1 else "multiple"
        return GiftQuestion(kind=kind, choices=tuple(choices), **common)

    def short_answer(self, segments: list[tuple[str, int, int]], common: dict) -> GiftQuestion:
        choices = []
        for _, start, end in segments:
            weight, tpos, tend, hash_pos = self.split_answer(start, end)
            if weight is not None and weight < 0:
                raise self.error(start, "a short answer's weight must be 0% to 100%")
            fmt, tpos = self.read_format(tpos, tend, self.stem_format)
            text = _decode(self.s[tpos:tend], fmt)
            if not text:
                raise self.error(start, "empty answer after '='")
            if "->" in text:
                # Written back, it would read as a matching pair: GIFT has no escape for "->".
                raise self.error(start, "a short answer cannot hold '->' (it marks a matching pair)")
            feedback, feedback_format = self.feedback(hash_pos, end) if hash_pos >= 0 else (None, None)
            if feedback and "->" in feedback:
                # The same in its feedback: written back as "=answer#->", Moodle and we read a matching pair.
                raise self.error(
                    hash_pos, "a short answer's feedback cannot hold '->' (it marks a matching pair)"
                )
            choices.append(
                GiftChoice(text, True, weight, feedback, text_format=fmt, feedback_format=feedback_format)
            )
        if not any(c.credit == 100 for c in choices):
            raise _BlockError(common["line"], "no accepted answer earns 100% (write one without a %weight%)")
        return GiftQuestion(kind="short_answer", choices=tuple(choices), **common)

    def numerical(self, a: int, b: int, common: dict) -> GiftQuestion:
        """``{#3.5:0.1}``, ``{#1..5}``, ``{#3.5}``, or answers ``{# =%100%3:0 =%50%3:1 ~#feedback}``."""
        s = self.s
        first = _skip_ws(s, a, b)
        if first < b and s[first] in "=~":
            marks = [first]
            while len(marks) <= MAX_ANSWERS:
                m = _find(_ANSWER_MARK_RE, s, marks[-1] + 1, b)
                if m < 0:
                    break
                marks.append(m)
            else:
                raise _BlockError(
                    common["line"],
                    f"too many answers (the limit is {MAX_ANSWERS})",
                    problem=GiftLimitExceeded,
                )
            segments = [(s[m], m + 1, marks[i + 1] if i + 1 < len(marks) else b) for i, m in enumerate(marks)]
        else:
            if _find(_ANSWER_MARK_RE, s, first, b) >= 0:
                raise self.error(first, "several numerical answers each start with '='")
            segments = [("=", first, b)]
        choices = [self.numerical_answer(mark, start, end) for mark, start, end in segments]
        if not any(c.credit == 100 for c in choices if c.number is not None or c.range_low is not None):
            raise _BlockError(common["line"], "no numerical answer earns 100% (write one without a %weight%)")
        return GiftQuestion(kind="numerical", choices=tuple(choices), **common)

    def numerical_answer(self, mark: str, start: int, end: int) -> GiftChoice:
        weight, tpos, tend, hash_pos = self.split_answer(start, end)
        feedback, feedback_format = self.feedback(hash_pos, end) if hash_pos >= 0 else (None, None)
        text = self.s[tpos:tend].strip(_WS)
        if mark == "~":
            # Moodle's catch-all: any other number is wrong, and this is what the learner is told.
            if text:
                raise self.error(start, "a numerical '~' answer takes no number, only '#feedback'")
            return GiftChoice("", False, weight, feedback, feedback_format=feedback_format)
        if weight is not None and weight < 0:
            raise self.error(start, "a numerical answer's weight must be 0% to 100%")
        m = _NUMERIC_ANSWER_RE.fullmatch(text)
        if m is None:
            raise self.error(
                start,
                f"cannot read {text!r} as a number, number:tolerance or low..high (e.g. 3.5:0.1 or 1..5)",
            )
        fields: dict[str, Decimal | None] = {}
        if m.group("low") is not None:
            low, high = Decimal(m.group("low")), Decimal(m.group("high"))
            if low > high:
                raise self.error(start, f"the range {text} runs from high to low; write the low end first")
            fields = {"range_low": low, "range_high": high}
        else:
            tolerance = Decimal(m.group("tol")) if m.group("tol") is not None else None
            if tolerance is not None and tolerance < 0:
                raise self.error(start, "a tolerance cannot be negative")
            fields = {"number": Decimal(m.group("num")), "tolerance": tolerance}
        return GiftChoice("", True, weight, feedback, feedback_format=feedback_format, **fields)

    def matching(self, segments: list[tuple[str, int, int]], common: dict) -> GiftQuestion:
        s = self.s
        choices = []
        for _, start, end in segments:
            weight, tpos, tend, hash_pos = self.split_answer(start, end)
            if weight is not None:
                raise self.error(start, "matching pairs cannot have a %weight%")
            if hash_pos >= 0:
                raise self.error(
                    hash_pos, "matching pairs cannot have feedback (escape a literal '#' as \\#)"
                )
            fmt, tpos = self.read_format(tpos, tend, self.stem_format)
            arrow = _find(_ARROW_RE, s, tpos, tend)
            if arrow < 0:
                raise self.error(start, "every pair of a matching question needs 'prompt -> answer'")
            prompt = _decode(s[tpos:arrow], fmt)
            answer = _decode(s[arrow + 2 : tend], "moodle")
            if not answer:
                raise self.error(arrow, "empty answer after '->' in a matching pair")
            choices.append(
                GiftChoice(
                    text=prompt, is_correct=True, weight=None, feedback=None, match=answer, text_format=fmt
                )
            )
        if sum(1 for c in choices if c.text) < 2:
            raise _BlockError(common["line"], "a matching question needs at least two pairs with a prompt")
        return GiftQuestion(kind="matching", choices=tuple(choices), **common)


def _metadata(block: _Block) -> tuple[str | None, tuple[str, ...]]:
    """``// [id:X]`` and ``// [tag:Y]`` markers in the block's comment lines."""
    qid = None
    tags: list[str] = []
    for comment in block.comments:
        if "[" not in comment:
            continue
        if qid is None:
            m = _META_ID_RE.search(comment)
            if m and m.group(1).strip():
                qid = m.group(1).strip()
        tags.extend(t.strip() for t in _META_TAG_RE.findall(comment) if t.strip())
        if len(tags) > MAX_TAGS:
            raise _BlockError(
                block.first_line, f"too many tags (the limit is {MAX_TAGS})", problem=GiftLimitExceeded
            )
    return qid, tuple(tags)


def _problem(exc: _BlockError) -> GiftProblem:
    message = f"Line {exc.line}: {exc.message}"
    if exc.unsupported is not None:
        return GiftUnsupported(line=exc.line, message=message, kind=exc.unsupported)
    return exc.problem(line=exc.line, message=message)


def _parse(text: object, max_questions: int, max_chars: int) -> GiftParseResult:
    if not isinstance(text, str):
        return GiftParseResult((), (GiftSyntaxError(1, "Line 1: GIFT input must be text (str)"),))
    if len(text) > max_chars:
        message = f"Line 1: the input is too large ({len(text):,} characters; the limit is {max_chars:,})"
        return GiftParseResult((), (GiftLimitExceeded(1, message),))
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")

    # Pass 1: split into items (category lines and question blocks), counting them.
    items: list[_Block | GiftCategory] = []
    lines: list[tuple[int, str]] = []
    comments: list[str] = []

    def flush() -> None:
        if lines:
            items.append(_Block(lines.copy(), comments.copy()))
        lines.clear()
        comments.clear()

    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip(_WS)
        if not stripped:
            flush()
            continue
        if stripped.startswith("//"):
            comments.append(stripped)
            continue
        is_category = stripped.startswith("$CATEGORY:")
        if is_category:
            flush()
        if (is_category or not lines) and len(items) >= max_questions:
            message = (
                f"Line {number}: too many questions (the limit is {max_questions:,}); "
                "nothing was imported, split the file"
            )
            return GiftParseResult((), (GiftLimitExceeded(number, message),))
        if is_category:
            items.append(GiftCategory(number, stripped[len("$CATEGORY:") :].strip(_WS)))
        else:
            lines.append((number, line))
    flush()

    # Pass 2: parse each block.
    questions: list[GiftQuestion] = []
    problems: list[GiftProblem] = []
    categories: list[GiftCategory] = []
    category = None
    for item in items:
        if isinstance(item, GiftCategory):
            if not item.path:
                problems.append(GiftSyntaxError(item.line, f"Line {item.line}: empty $CATEGORY path"))
                continue
            categories.append(item)
            category = item.path
            continue
        try:
            question = _BlockParser(item, category).parse()
        except _BlockError as exc:
            problems.append(_problem(exc))
            continue
        questions.append(question)
    return GiftParseResult(tuple(questions), tuple(problems), tuple(categories))


def parse_gift(
    text: str, *, max_questions: int = DEFAULT_MAX_QUESTIONS, max_chars: int = DEFAULT_MAX_CHARS
) -> GiftParseResult:
    """Parse GIFT text.  Never raises; problems are returned in ``GiftParseResult.problems``.

    ``max_chars`` caps the input length and ``max_questions`` the number of items
    (questions, descriptions, broken questions and category lines); when either is
    exceeded nothing is parsed and a single ``GiftLimitExceeded`` problem is returned.
    """
    try:
        return _parse(text, max_questions, max_chars)
    except Exception as exc:  # a safety net: a bug here must not take the caller down
        message = f"Line 1: internal error while parsing GIFT ({type(exc).__name__})"
        return GiftParseResult((), (GiftSyntaxError(1, message),))


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


def _escape(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in text:
        if ch in _ESCAPABLE:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        else:
            out.append(ch)
    return "".join(out)


def _check_format(fmt: str | None, what: str) -> None:
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown {what} format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _formatted(text: str, fmt: str | None, question_format: str, *, guard: str = "[") -> str:
    """Escaped text, prefixed with ``[format]`` when it differs from the question's or
    when the text would otherwise be misread (it starts with one of ``guard``'s chars)."""
    fmt = fmt or question_format
    _check_format(fmt, "text")
    prefix = f"[{fmt}]" if fmt != question_format or text.startswith(tuple(guard)) else ""
    return prefix + _escape(text)


def _weight(weight: Decimal) -> str:
    if not isinstance(weight, Decimal):
        weight = Decimal(str(weight))
    if not weight.is_finite() or not _MIN_WEIGHT <= weight <= _MAX_WEIGHT:
        raise ValueError(f"answer weight {weight} must be a number between -100 and 100")
    return f"%{weight:f}%"


def _feedback(text: str | None, fmt: str | None, question_format: str) -> str:
    if not text:
        return ""
    return "#" + _formatted(text, fmt, question_format)


def _meta_value(value: str, what: str) -> str:
    if not value.strip() or any(ch in value for ch in "[]\n\r"):
        raise ValueError(f"question {what} {value!r} cannot be written in GIFT")
    return value


def _export_question(q: GiftQuestion) -> str:
    if q.kind not in QUESTION_KINDS:
        raise ValueError(f"cannot export a question of kind {q.kind!r}")
    fmt = q.stem_format or DEFAULT_FORMAT
    _check_format(fmt, "question")
    if not q.stem or not q.stem.strip(_WS):
        raise ValueError("cannot export a question with empty text")

    out = []
    if q.id is not None:
        out.append(f"// [id:{_meta_value(q.id, 'id')}]\n")
    if q.tags:
        out.append("// " + " ".join(f"[tag:{_meta_value(t, 'tag')}]" for t in q.tags) + "\n")
    if q.title:
        out.append(f"::{_escape(q.title)}::")
    stem_prefix = f"[{fmt}]" if fmt != DEFAULT_FORMAT or q.stem.startswith(("[", "//")) else ""
    before, blank, after = q.stem.partition(BLANK)
    if blank and (BLANK in after or not after.strip(_WS)):
        raise ValueError(
            f"a blank ({BLANK}) must appear once in the stem, with text after it, to be written in GIFT"
        )
    if blank and q.kind not in ("cloze", "numerical", "short_answer"):
        raise ValueError(f"only missing-word, numerical and short-answer stems may hold {BLANK}")
    if q.kind == "cloze" and not blank:
        raise ValueError(f"a missing-word question needs {BLANK} in its stem")
    out.append(stem_prefix + _escape(before))
    closing = _escape(after)  # the text after a missing word's blank (else empty)

    general = ""
    if q.general_feedback:
        general = "####" + _formatted(q.general_feedback, q.general_feedback_format, fmt)

    if q.kind == "true_false":
        answer = q.true_false_answer
        if answer is None:
            correct = [c for c in q.choices if c.is_correct]
            if len(correct) != 1 or correct[0].text not in ("True", "False"):
                raise ValueError("a true/false question needs true_false_answer")
            answer = correct[0].text == "True"
        right = next((c for c in q.choices if c.is_correct), None)
        wrong = next((c for c in q.choices if not c.is_correct), None)
        wrong_fb = _feedback(wrong.feedback, wrong.feedback_format, fmt) if wrong else ""
        right_fb = _feedback(right.feedback, right.feedback_format, fmt) if right else ""
        if right_fb and not wrong_fb:
            wrong_fb = "#"
        out.append("{" + ("TRUE" if answer else "FALSE") + wrong_fb + right_fb + general + "}\n")
        return "".join(out)

    if q.kind == "numerical":
        answers = _numerical_answers(q.choices, fmt)
        if general:
            # No blank line inside the block: a blank line ends a question.
            answers = answers.rstrip("\n") + f"\n\t{general}\n"
        out.append("{#" + answers + "}")
        out.append(closing + "\n")
        return "".join(out)
    if q.kind == "short_answer" or (q.kind == "cloze" and q.blank_input == "text"):
        out.append("{\n")
        if not q.choices:
            raise ValueError("a short answer needs at least one accepted answer")
        for c in q.choices:
            if not c.text.strip(_WS) or "->" in c.text:
                raise ValueError(f"a short answer cannot be empty or hold '->': {c.text!r}")
            weight = _weight(c.weight) if c.weight is not None else ""
            text = _formatted(c.text, c.text_format, fmt, guard="[%")
            out.append(f"\t={weight}{text}{_feedback(c.feedback, c.feedback_format, fmt)}\n")
        if general:
            out.append(f"\t{general}\n")
        out.append("}" + closing + "\n")
        return "".join(out)

    if len(q.choices) < 2:
        raise ValueError(f"a {q.kind} question needs at least two choices")
    out.append("{\n")
    if q.kind == "matching":
        for c in q.choices:
            if c.match is None or not c.match.strip(_WS):
                raise ValueError("every matching choice needs a non-empty match")
            if "->" in c.text:
                raise ValueError(f"a matching prompt cannot contain '->': {c.text!r}")
            if c.weight is not None or c.feedback:
                raise ValueError("matching pairs cannot have weights or feedback in GIFT")
            prompt = _formatted(c.text, c.text_format, fmt, guard="[%")
            out.append(f"\t={prompt} -> {_escape(c.match)}\n")
    else:
        correct = sum(1 for c in q.choices if c.is_correct)
        if (q.kind in ("single", "cloze")) != (correct == 1):
            raise ValueError(
                f"a {q.kind!r} question cannot have {correct} '=' answers "
                "(single means exactly one '=' answer; use weights for partial credit)"
            )
        if correct == len(q.choices):
            raise ValueError("a multiple-choice question needs at least one '~' (not correct) answer in GIFT")
        for c in q.choices:
            if not c.text.strip(_WS):
                raise ValueError("multiple-choice answers cannot be empty")
            mark = "=" if c.is_correct else "~"
            weight = _weight(c.weight) if c.weight is not None else ""
            text = _formatted(c.text, c.text_format, fmt, guard="[%")
            out.append(f"\t{mark}{weight}{text}{_feedback(c.feedback, c.feedback_format, fmt)}\n")
    if general:
        out.append(f"\t{general}\n")
    out.append("}" + closing + "\n")
    return "".join(out)


def _number_text(value: Decimal) -> str:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"{value!r} is not a finite Decimal")
    return f"{value:f}"


def _numerical_answers(choices: tuple[GiftChoice, ...], fmt: str) -> str:
    def answer(c: GiftChoice) -> str:
        if c.range_low is not None and c.range_high is not None:
            return f"{_number_text(c.range_low)}..{_number_text(c.range_high)}"
        if c.number is None:
            raise ValueError("a numerical answer needs a number or a range")
        tolerance = f":{_number_text(c.tolerance)}" if c.tolerance is not None else ""
        return _number_text(c.number) + tolerance

    if not choices:
        raise ValueError("a numerical question needs at least one answer")
    only = choices[0]
    if len(choices) == 1 and only.is_correct and only.weight is None and not only.feedback:
        return answer(only)  # the short form: {#3.5:0.1} or {#1..5}
    lines = []
    for c in choices:
        weight = _weight(c.weight) if c.weight is not None else ""
        feedback = _feedback(c.feedback, c.feedback_format, fmt)
        if not c.is_correct:
            if c.number is not None or c.range_low is not None:
                raise ValueError("a numerical '~' answer is the catch-all: it takes no number")
            lines.append(f"\t~{weight}{feedback or '#'}")
        else:
            lines.append(f"\t={weight}{answer(c)}{feedback}")
    return "\n" + "\n".join(lines) + "\n"


def export_gift(questions: Iterable[GiftQuestion]) -> str:
    """Write questions as GIFT text that ``parse_gift`` reads back into equal questions.

    Everything is escaped, line breaks inside texts are written as ``\\n``, a
    ``$CATEGORY:`` line is written whenever the category changes, and formats are
    written where they differ from the question's (or where a text would otherwise be
    misread).  Raises ``ValueError`` for questions GIFT cannot express, e.g. an
    uncategorised question after a categorised one (GIFT cannot leave a category), a
    matching prompt containing ``->`` or a multiple-choice question without a ``~``
    answer.
    """
    blocks = []
    category = None
    for q in questions:
        if q.category is not None and q.category != category:
            path = q.category.strip(_WS)
            if not path or "\n" in path or "\r" in path:
                raise ValueError(f"category {q.category!r} cannot be written in GIFT")
            blocks.append(f"$CATEGORY: {path}\n")
            category = q.category
        elif q.category is None and category is not None:
            raise ValueError(
                "a question without a category cannot follow a categorised one in GIFT; "
                "export uncategorised questions first"
            )
        blocks.append(_export_question(q))
    return "\n".join(blocks)
