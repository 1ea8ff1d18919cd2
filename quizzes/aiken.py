"""Aiken (Moodle's simplest multiple-choice format) read into the GIFT module's dataclasses.

Pure Python, no Django. A question is its text (one or more lines), then two or more options
``A. text`` or ``A) text`` with consecutive capital letters, then ``ANSWER: X``. Blank lines
between questions are optional. Every question is single choice, plain text, no feedback.
``parse_aiken`` never raises: everything wrong is a ``GiftSyntaxError`` whose message starts
with ``Line N:`` and names what was expected.
"""

import re

from quizzes.gift import GiftChoice, GiftLimitExceeded, GiftParseResult, GiftQuestion, GiftSyntaxError

DEFAULT_MAX_CHARS = 2_000_000
DEFAULT_MAX_QUESTIONS = 2_000

_OPTION_RE = re.compile(r"^([A-Z])[.)]\s+(\S.*)$")
_ANSWER_RE = re.compile(r"^ANSWER\s*:\s*(.*)$", re.IGNORECASE)


class _Question:
    def __init__(self, line):
        self.line = line
        self.stem_lines = []
        self.options = []  # (line, letter, text)


def _error(line, message):
    return GiftSyntaxError(line, f"Line {line}: {message}")


def _finish(current, answer_line, letter, problems):
    """The GiftQuestion for `current`, or None with its problem added."""
    letters = [opt_letter for _, opt_letter, _ in current.options]
    if len(current.options) < 2:
        problems.append(
            _error(answer_line, "a question needs at least two options (A. and B.) before ANSWER:")
        )
        return None
    if letter not in letters:
        expected = f"one of {', '.join(letters)}"
        problems.append(
            _error(answer_line, f"ANSWER: {letter or '(nothing)'} is not an option; expected {expected}")
        )
        return None
    texts = [text for _, _, text in current.options]
    choices = tuple(
        GiftChoice(text, opt_letter == letter, None, None, None, "plain", None)
        for _, opt_letter, text in current.options
    )
    if len(set(texts)) != len(texts):
        problems.append(_error(current.line, "two options have the same text"))
        return None
    stem = "\n".join(current.stem_lines)
    return GiftQuestion(
        line=current.line, kind="single", title=None, stem=stem, stem_format="plain", choices=choices
    )


def parse_aiken(text, *, max_questions=DEFAULT_MAX_QUESTIONS, max_chars=DEFAULT_MAX_CHARS):
    """Parse Aiken text into single-choice questions. Never raises."""
    if not isinstance(text, str):
        return GiftParseResult((), (_error(1, "Aiken input must be text"),))
    if len(text) > max_chars:
        message = f"Line 1: the input is too large ({len(text):,} characters; the limit is {max_chars:,})"
        return GiftParseResult((), (GiftLimitExceeded(1, message),))
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    questions, problems = [], []
    current = None
    broken = False  # after an error, skip to the next ANSWER: line so one mistake is reported once
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line:
            continue
        answer = _ANSWER_RE.match(line)
        option = _OPTION_RE.match(line)
        if answer:
            if current is None:
                if not broken:
                    problems.append(_error(number, "ANSWER: without a question and options before it"))
            elif not broken:
                question = _finish(current, number, answer.group(1).strip().upper(), problems)
                if question is not None:
                    questions.append(question)
            current, broken = None, False
            if len(questions) + len(problems) > max_questions:
                message = (
                    f"Line {number}: too many questions (the limit is {max_questions:,}); split the file"
                )
                return GiftParseResult((), (GiftLimitExceeded(number, message),))
            continue
        if broken:
            continue
        if option and current is not None and (current.options or current.stem_lines):
            letter = option.group(1)
            expected = chr(ord("A") + len(current.options))
            if letter != expected:
                problems.append(
                    _error(number, f"option {letter} where {expected} was expected (options go A, B, C, ...)")
                )
                broken = True
                continue
            current.options.append((number, letter, option.group(2).strip()))
            continue
        if current is None:
            current = _Question(number)
        if current.options:
            problems.append(
                _error(
                    number,
                    "text after the options; end each question with 'ANSWER: X' "
                    "(X the letter of the right option) and start options with 'A.' or 'A)'",
                )
            )
            broken = True
            continue
        current.stem_lines.append(line)
    if current is not None and not broken:
        problems.append(_error(current.line, "the question has no 'ANSWER: X' line"))
    if not questions and not problems:
        problems.append(_error(1, "the file holds no questions"))
    return GiftParseResult(tuple(questions), tuple(problems))
