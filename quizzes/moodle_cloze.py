"""Moodle's embedded answers (``{1:SHORTANSWER:=Owl#Well done~*#No}``) in and out of our one blank.

Pure Python, no Django. Moodle's "cloze" (multianswer) question may embed any number of
answers in its text; our missing-word question holds one blank (``BLANK``), answered from a
list (``blank_input="select"``) or typed (``"text"``), and a numerical question may hold its
input inline at ``BLANK`` too. So a cloze text with exactly one embedded answer imports, one
with several is reported as unsupported, and one with none (or a broken one) is an error.

Embedded answer syntax (Moodle docs, "Embedded Answers (Cloze)"): ``{mark:TYPE:answers}``;
answers separated by ``~``; each may start with ``=`` (full marks) or ``%n%`` (n percent), then
the answer, then ``#feedback``; a numerical answer is ``value:tolerance``; ``\\}``, ``\\~``,
``\\#``, ``\\\\`` and ``\\/`` escape.
"""

import re
from decimal import Decimal, InvalidOperation

from quizzes.gift import BLANK, GiftChoice

_EMBEDDED_RE = re.compile(r"\{(\d*):([A-Za-z_]+)(?::((?:[^}\\]|\\.)*))?\}", re.DOTALL)
_TEXT_TYPES = {
    "SHORTANSWER": False,
    "SA": False,
    "MW": False,
    "SHORTANSWER_C": True,
    "SAC": True,
    "MWC": True,
}
_CHOICE_TYPES = {
    "MULTICHOICE",
    "MC",
    "MULTICHOICE_V",
    "MCV",
    "MULTICHOICE_H",
    "MCH",
    "MULTICHOICE_S",
    "MCS",
    "MULTICHOICE_VS",
    "MCVS",
    "MULTICHOICE_HS",
    "MCHS",
}
_NUMERICAL_TYPES = {"NUMERICAL", "NM"}
_ESCAPED_RE = re.compile(r"\\([}~#\\/\"])")
_WEIGHT_RE = re.compile(r"%(-?\d+(?:\.\d+)?)%")


class ClozeError(ValueError):
    def __init__(self, message, *, unsupported=False):
        super().__init__(message)
        self.unsupported = unsupported


def _split(raw, separator):
    """Split on unescaped `separator`."""
    parts, current, i = [], [], 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            current.append(raw[i : i + 2])
            i += 2
            continue
        if ch == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(text):
    return _ESCAPED_RE.sub(r"\1", text).strip()


def _answers(raw):
    """[(fraction, text, feedback)] of an embedded answer's answer list."""
    answers = []
    for part in _split(raw, "~"):
        part = part.strip()
        if not part:
            continue
        fraction = Decimal(0)
        if part.startswith("="):
            fraction, part = Decimal(100), part[1:]
        else:
            match = _WEIGHT_RE.match(part)
            if match:
                fraction, part = Decimal(match.group(1)), part[match.end() :]
        pieces = _split(part, "#")
        feedback = _unescape("#".join(pieces[1:])) if len(pieces) > 1 else ""
        answers.append((fraction, _unescape(pieces[0]), feedback or None))
    return answers


def _weight(fraction):
    return None if fraction in (0, 100) else fraction


def read_single_blank(text):
    """(stem with BLANK, kind, choices, extra GiftQuestion fields) of a cloze text, or ClozeError."""
    found = list(_EMBEDDED_RE.finditer(text))
    if not found:
        raise ClozeError("the question text must include an embedded answer, such as {1:SHORTANSWER:=answer}")
    if len(found) > 1:
        raise ClozeError(
            f"this question embeds {len(found)} answers; a missing-word question here holds one blank, "
            "so split it into one question per blank",
            unsupported=True,
        )
    match = found[0]
    qtype = match.group(2).upper()
    answers = _answers(match.group(3) or "")
    stem = text[: match.start()] + BLANK + text[match.end() :]
    if qtype in _CHOICE_TYPES:
        if len(answers) < 2:
            raise ClozeError("a choice blank (MULTICHOICE) needs at least 2 choices")
        kind, extra = "cloze", {"blank_input": "select"}
        choices = tuple(GiftChoice(t, f == 100, _weight(f), fb, None, "plain", None) for f, t, fb in answers)
    elif qtype in _TEXT_TYPES:
        if not answers:
            raise ClozeError("a typed blank (SHORTANSWER) needs at least one accepted answer")
        kind, extra = "cloze", {"blank_input": "text", "case_sensitive": _TEXT_TYPES[qtype]}
        choices = tuple(GiftChoice(t, f > 0, _weight(f), fb, None, "plain", None) for f, t, fb in answers)
    elif qtype in _NUMERICAL_TYPES:
        kind, extra = "numerical", {}
        choices = tuple(_numerical_answer(f, t, fb) for f, t, fb in answers)
        if not choices:
            raise ClozeError("a numerical blank needs at least one answer")
    else:
        raise ClozeError(f"embedded answers of type {qtype} are not supported", unsupported=True)
    if any(not c.text and c.number is None and kind != "numerical" for c in choices):
        raise ClozeError("an embedded answer is empty")
    if not any(c.credit >= 100 for c in choices):
        raise ClozeError("one of the answers should have a score of 100%, so that full marks are possible")
    return stem, kind, choices, extra


def _numerical_answer(fraction, text, feedback):
    if text == "*":
        return GiftChoice("", fraction > 0, _weight(fraction), feedback, None, "plain", None)
    value, _, tolerance = text.partition(":")
    try:
        number = Decimal(value.strip())
        tol = Decimal(tolerance.strip()) if tolerance.strip() else None
    except InvalidOperation:
        raise ClozeError(f"the answer {text!r} must be a number, for example -1.234 or 3e8, or '*'") from None
    if not number.is_finite() or (tol is not None and not tol.is_finite()):
        raise ClozeError(f"the answer {text!r} must be a finite number")
    return GiftChoice(
        "",
        fraction > 0,
        _weight(fraction),
        feedback,
        None,
        "plain",
        None,
        number=number,
        tolerance=abs(tol) if tol is not None else None,
    )


def _escape(text):
    return re.sub(r"([}~#\\/\"])", r"\\\1", text)


def _mark(choice):
    credit = choice.credit
    if credit == 100:
        return "="
    if credit == 0:
        return ""
    return f"%{credit.normalize():f}%"


def _feedback(choice):
    return f"#{_escape(choice.feedback)}" if choice.feedback else ""


def write_blank(question):
    """The embedded answer for `question`'s BLANK (a cloze, or a numerical with BLANK in its stem)."""
    if question.kind == "numerical":
        parts = []
        for c in question.choices:
            if c.number is not None:
                value = f"{c.number.normalize():f}" + (f":{c.tolerance.normalize():f}" if c.tolerance else "")
            elif c.range_low is not None:
                middle = (c.range_low + c.range_high) / 2
                value = f"{middle.normalize():f}:{((c.range_high - c.range_low) / 2).normalize():f}"
            else:
                value = "*"
            parts.append(_mark(c) + value + _feedback(c))
        qtype = "NUMERICAL"
    else:
        if question.blank_input == "select":
            qtype = "MULTICHOICE"
        else:
            qtype = "SHORTANSWER_C" if question.case_sensitive else "SHORTANSWER"
        parts = [_mark(c) + _escape(c.text) + _feedback(c) for c in question.choices]
    return "{1:" + qtype + ":" + "~".join(parts) + "}"
