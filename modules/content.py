"""Course content as files: parsing a course folder and splitting a Markdown article. Pure: no database.

A course folder holds `course.toml` (metadata, planners and the module list), one Markdown
file per module and, optionally, `images.toml` listing the images the Markdown places with
`[[image:KEY]]`. `read_course_folder` turns it into plain dataclasses that `services` writes.
"""

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils.text import slugify

from modules.images import ImageRefused, declared_type

COURSE_FIELDS = (
    "title",
    "summary",
    "original_author",
    "original_source",
    "ce_broker_course_number",
    "learning_outcome",
    "completion_criteria",
    "disclosure_relationships",
    "disclosure_mitigation",
    "references_markdown",
    "contact_hours",
    "contact_hours_calculation",
    "minimum_minutes",
    "release_date",
    "last_review_date",
    "expiry_date",
    "is_published",
)
REQUIRED_COURSE_FIELDS = (
    "title",
    "summary",
    "learning_outcome",
    "completion_criteria",
    "disclosure_relationships",
    "contact_hours",
    "contact_hours_calculation",
    "release_date",
    "expiry_date",
)
# The [provider] table of course.toml: the accredited organization (modules.models.Provider).
PROVIDER_FIELDS = (
    "legal_name",
    "address",
    "web_address",
    "accreditation_kind",
    "accreditation_body",
    "approval_number",
    "accreditation_statement",
    "ce_broker_provider_number",
    "is_example",
)
# Folders written before the provider was a record of its own give these keys at the top level.
FLAT_PROVIDER_KEYS = {
    "provider_name": "legal_name",
    "provider_address": "address",
    "provider_web_address": "web_address",
    "provider_approval_number": "approval_number",
    "accreditation_statement": "accreditation_statement",
}
# [[joint_providers]] and [[commercial_support]] of course.toml; organizations are named, and made
# when the site has none of that name (ineligible_company says how to mark a new one).
JOINT_PROVIDER_FIELDS = {"organization", "ineligible_company", "role", "agreement_date", "statement"}
SUPPORT_FIELDS = {"supporter", "ineligible_company", "amount", "in_kind", "agreement_date", "signatories"}
PLANNER_FIELDS = ("name", "credentials", "role", "is_nurse_planner", "financial_relationships")


class ContentError(ValueError):
    """The content files are not usable; the message says which file and what is wrong."""


@dataclass(frozen=True)
class ModuleSpec:
    slug: str
    title: str
    objectives: tuple[str, ...]
    estimated_minutes: int
    body_markdown: str
    origin: str = field(default="", compare=False)  # the file it came from, for error messages


@dataclass(frozen=True)
class ImageSpec:
    """One `[[image]]` table of images.toml, with the file's bytes (not yet sanitised)."""

    key: str
    file: str
    data: bytes
    content_type: str
    alt: str = ""
    decorative: bool = False
    caption: str = ""
    source: str = ""
    long_description: str = ""
    origin: str = field(default="", compare=False)


@dataclass(frozen=True)
class CourseSpec:
    slug: str
    fields: dict
    planners: tuple[dict, ...] = ()
    modules: tuple[ModuleSpec, ...] = ()
    folder: Path | None = field(default=None, compare=False)
    images: tuple[ImageSpec, ...] = ()
    provider: dict = field(default_factory=dict)
    joint_providers: tuple[dict, ...] = ()
    commercial_support: tuple[dict, ...] = ()


def read_course_folder(folder) -> CourseSpec:
    folder = Path(folder)
    meta_path = folder / "course.toml"
    if not meta_path.is_file():
        raise ContentError(f"{folder}: no course.toml in this folder.")
    try:
        meta = tomllib.loads(meta_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ContentError(f"{meta_path}: {error}") from error

    missing = [name for name in REQUIRED_COURSE_FIELDS if not meta.get(name)]
    if missing or not meta.get("slug"):
        raise ContentError(f"{meta_path}: missing {', '.join(missing or ['slug'])}.")
    fields = {name: meta[name] for name in COURSE_FIELDS if name in meta}
    fields["contact_hours"] = _decimal(meta["contact_hours"], meta_path, "contact_hours")
    for name in ("release_date", "last_review_date", "expiry_date"):
        if name in fields and not isinstance(fields[name], date):
            raise ContentError(f"{meta_path}: {name} must be a TOML date such as 2026-01-15.")

    planners = tuple({k: p[k] for k in PLANNER_FIELDS if k in p} for p in meta.get("planners", []))
    modules = []
    for index, entry in enumerate(meta.get("modules", []), start=1):
        for key in ("slug", "title", "file", "estimated_minutes"):
            if key not in entry:
                raise ContentError(f"{meta_path}: module {index} has no {key}.")
        body_path = folder / entry["file"]
        if not body_path.is_file():
            raise ContentError(f"{meta_path}: module {index} names {entry['file']}, which does not exist.")
        modules.append(
            ModuleSpec(
                slug=entry["slug"],
                title=entry["title"],
                objectives=tuple(entry.get("objectives", [])),
                estimated_minutes=int(entry["estimated_minutes"]),
                body_markdown=body_path.read_text(encoding="utf-8").strip() + "\n",
                origin=str(body_path),
            )
        )
    if not modules:
        raise ContentError(f"{meta_path}: the course has no modules.")
    slugs = [m.slug for m in modules]
    if len(set(slugs)) != len(slugs):
        raise ContentError(f"{meta_path}: two modules share a slug.")
    return CourseSpec(
        slug=meta["slug"],
        fields=fields,
        planners=planners,
        modules=tuple(modules),
        folder=folder,
        images=read_images_file(folder),
        provider=read_provider(meta, meta_path),
        joint_providers=_records(meta, meta_path, "joint_providers", JOINT_PROVIDER_FIELDS, "organization"),
        commercial_support=_records(meta, meta_path, "commercial_support", SUPPORT_FIELDS, "supporter"),
    )


def _records(meta, meta_path, name, allowed, organization_key):
    """The [[name]] tables as dicts, dates checked and amounts as Decimals."""
    tables = meta.get(name, [])
    if not isinstance(tables, list):
        raise ContentError(f"{meta_path}: write {name} as [[{name}]] tables.")
    records = []
    for index, table in enumerate(tables, start=1):
        where = f"{meta_path}: {name} {index}"
        unknown = set(table) - allowed
        if unknown:
            raise ContentError(f"{where} has unknown field(s): {', '.join(sorted(unknown))}.")
        if not table.get(organization_key):
            raise ContentError(f"{where} has no {organization_key}.")
        if not isinstance(table.get("agreement_date"), date):
            raise ContentError(f"{where}: agreement_date must be a TOML date such as 2026-01-15.")
        record = dict(table)
        if "amount" in record:
            record["amount"] = _decimal(record["amount"], where, "amount")
        records.append(record)
    return tuple(records)


def read_provider(meta, meta_path):
    """The [provider] table (or the older top-level provider_* keys) as Provider field values."""
    table = meta.get("provider")
    if table is None:
        table = {new: meta[old] for old, new in FLAT_PROVIDER_KEYS.items() if old in meta}
    if not isinstance(table, dict):
        raise ContentError(f"{meta_path}: provider must be a table, written [provider].")
    unknown = set(table) - set(PROVIDER_FIELDS)
    if unknown:
        raise ContentError(f"{meta_path}: [provider] has unknown field(s): {', '.join(sorted(unknown))}.")
    missing = [name for name in ("legal_name", "accreditation_statement") if not table.get(name)]
    if missing:
        raise ContentError(f"{meta_path}: [provider] is missing {', '.join(missing)}.")
    return dict(table)


IMAGE_KEY = re.compile(r"[a-z0-9][a-z0-9_-]*")
IMAGE_FIELDS = {"key", "file", "alt", "decorative", "caption", "source", "long_description"}


def read_images_file(folder) -> tuple[ImageSpec, ...]:
    """The images listed in `folder/images.toml` (none when there is no such file).

    Files must lie inside the course folder: a path naming anything outside it is refused.
    """
    folder = Path(folder)
    path = folder / "images.toml"
    if not path.is_file():
        return ()
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8")).get("image", [])
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ContentError(f"{path}: {error}") from error
    images, keys = [], set()
    root = folder.resolve()
    for index, table in enumerate(tables, start=1):
        where = f"{path}: image {index}"
        if not isinstance(table, dict):
            raise ContentError(f"{where} is not a table; write it as [[image]].")
        unknown = set(table) - IMAGE_FIELDS
        if unknown:
            raise ContentError(f"{where} has unknown field(s): {', '.join(sorted(unknown))}.")
        key, file = table.get("key", ""), table.get("file", "")
        if not isinstance(key, str) or not IMAGE_KEY.fullmatch(key):
            raise ContentError(f"{where}: key must be lowercase letters, digits and hyphens.")
        if key in keys:
            raise ContentError(f"{where}: the key {key} is used twice.")
        keys.add(key)
        decorative = table.get("decorative", False)
        if not isinstance(decorative, bool):
            raise ContentError(f"{where} ({key}): decorative must be true or false.")
        text = {name: table.get(name, "") for name in ("alt", "caption", "source", "long_description")}
        if not all(isinstance(value, str) for value in text.values()):
            raise ContentError(f"{where} ({key}): alt, caption, source and long_description must be text.")
        if not decorative and not text["alt"].strip():
            raise ContentError(f"{where} ({key}): alt text is required (or mark it decorative = true).")
        file_path = (folder / file).resolve() if isinstance(file, str) and file else None
        if file_path is None or not file_path.is_relative_to(root) or not file_path.is_file():
            raise ContentError(f"{where} ({key}): file {file!r} is not a file inside {folder}.")
        try:
            content_type = declared_type(file_path.name)
        except ImageRefused as error:
            raise ContentError(f"{where} ({key}): {error}") from error
        images.append(
            ImageSpec(
                key=key,
                file=file,
                data=file_path.read_bytes(),
                content_type=content_type,
                alt=text["alt"].strip(),
                decorative=decorative,
                caption=text["caption"].strip(),
                source=text["source"].strip(),
                long_description=text["long_description"].strip(),
                origin=str(path),
            )
        )
    return tuple(images)


def _decimal(value, path, name):
    try:
        return Decimal(str(value))
    except InvalidOperation as error:
        raise ContentError(f'{path}: {name} must be a decimal number such as "1.00".') from error


WORDS_PER_MINUTE = 200
H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$")
H2 = re.compile(r"^##\s+(.+?)\s*#*\s*$")


def split_article(text: str) -> tuple[str | None, list[ModuleSpec]]:
    """Split a Markdown article at its second-level headings: one module per H2 section.

    Returns (the H1 title or None, modules). Text before the first H2 (other than the H1)
    opens the first module, so nothing the author wrote is lost. Fenced code is not split.
    """
    title = None
    preamble: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if not in_fence and title is None and not sections and (match := H1.match(line)):
            title = match.group(1)
            continue
        if not in_fence and (match := H2.match(line)):
            sections.append((match.group(1), []))
            continue
        (sections[-1][1] if sections else preamble).append(line)

    if not sections:
        raise ContentError("The article has no second-level (##) headings to split into modules.")
    modules = []
    used_slugs: set[str] = set()
    for index, (heading, lines) in enumerate(sections):
        body_lines = [*preamble, "", *lines] if index == 0 else lines
        body = "\n".join(body_lines).strip() + "\n"
        slug = _unique_slug(slugify(heading)[:50] or f"module-{index + 1}", used_slugs)
        minutes = max(1, round(len(body.split()) / WORDS_PER_MINUTE))
        modules.append(
            ModuleSpec(
                slug=slug, title=heading[:200], objectives=(), estimated_minutes=minutes, body_markdown=body
            )
        )
    return title, modules


def _unique_slug(slug, used):
    candidate, n = slug, 2
    while candidate in used:
        candidate = f"{slug}-{n}"
        n += 1
    used.add(candidate)
    return candidate
