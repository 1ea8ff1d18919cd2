"""A course written back out in the content folder format, as one ZIP (reads only).

The folder is what `load_course` reads: course.toml (metadata, [provider], planners, modules),
one Markdown file per module, post-test.toml and images.toml with the image files the
Markdown places. Courses can so live in version control and be loaded on another site.
"""

import io
import zipfile
from decimal import Decimal

import tomli_w
from django.core.files.storage import storages

from modules.images import EXTENSIONS
from modules.markdown import image_keys
from modules.models import Image

ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed, so the same course exports to the same bytes


def _plain(value):
    """TOML has no Decimal: the loader reads decimals from strings, so exact values stay exact."""
    if isinstance(value, Decimal):
        return str(value)
    return value


def course_document(course):
    doc = {
        "slug": course.slug,
        "title": course.title,
        "summary": course.summary,
        "original_author": course.original_author,
        "original_source": course.original_source,
        "ce_broker_course_number": course.ce_broker_course_number,
        "learning_outcome": course.learning_outcome,
        "completion_criteria": course.completion_criteria,
        "disclosure_relationships": course.disclosure_relationships,
        "disclosure_mitigation": course.disclosure_mitigation,
        "references_markdown": course.references_markdown,
        "contact_hours": str(course.contact_hours),
        "contact_hours_calculation": course.contact_hours_calculation,
        "minimum_minutes": course.minimum_minutes,
        "release_date": course.release_date,
        "expiry_date": course.expiry_date,
        "is_published": course.is_published,
    }
    if course.last_review_date:
        doc["last_review_date"] = course.last_review_date
    provider = course.provider
    doc["provider"] = {
        "legal_name": provider.legal_name,
        "is_example": provider.is_example,
        "address": provider.address,
        "web_address": provider.web_address,
        "accreditation_kind": provider.accreditation_kind,
        "accreditation_body": provider.accreditation_body,
        "approval_number": provider.approval_number,
        "ce_broker_provider_number": provider.ce_broker_provider_number,
        "accreditation_statement": provider.accreditation_statement,
    }
    doc["joint_providers"] = [
        {
            "organization": j.organization.name,
            "ineligible_company": j.organization.is_ineligible_company,
            "role": j.role,
            "agreement_date": j.agreement_date,
            "statement": j.statement,
        }
        for j in course.joint_providers.select_related("organization").order_by("pk")
    ]
    doc["commercial_support"] = []
    for support in course.support_records.select_related("supporter").order_by("pk"):
        record = {
            "supporter": support.supporter.name,
            "ineligible_company": support.supporter.is_ineligible_company,
            "agreement_date": support.agreement_date,
            "signatories": support.signatories,
        }
        if support.amount is not None:
            record["amount"] = str(support.amount)
        if support.in_kind_description:
            record["in_kind"] = support.in_kind_description
        doc["commercial_support"].append(record)
    doc["planners"] = [
        {
            "name": p.name,
            "credentials": p.credentials,
            "role": p.role,
            "is_nurse_planner": p.is_nurse_planner,
            "financial_relationships": p.financial_relationships,
        }
        for p in course.planners.all()
    ]
    doc["modules"] = [
        {
            "slug": m.slug,
            "title": m.title,
            "file": module_file_name(m),
            "estimated_minutes": m.estimated_minutes,
            "objectives": list(m.objectives),
        }
        for m in course.modules.order_by("position")
    ]
    return doc


def module_file_name(module):
    return f"{module.position:02d}-{module.slug}.md"


def quiz_document(quiz):
    doc = {
        "quiz": {
            "title": quiz.title,
            "pass_mark_percent": str(quiz.pass_mark_percent),
            "attempts_allowed": quiz.attempts_allowed,
            "time_limit_minutes": quiz.time_limit_minutes or 0,
            "shuffle_questions": quiz.shuffle_questions,
            "shuffle_choices": quiz.shuffle_choices,
            "show_answers": quiz.review_policy,
            "draw": [{"topic": r.topic, "count": r.count} for r in quiz.draw_rules.all()],
        },
        "questions": [],
    }
    for q in quiz.questions.filter(is_active=True).prefetch_related("choices").order_by("position"):
        question = {
            "key": q.key,
            "kind": q.kind,
            "topic": q.topic,
            "title": q.title,
            "stem": q.stem_markdown,
            "rationale": q.rationale_markdown,
            "reference": q.reference,
            "points": str(q.points),
            "grading": q.multiple_grading,
            "ordering_mode": q.ordering_mode,
            "case_sensitive": q.case_sensitive,
            "blank_input": q.blank_input,
            "choices": [],
        }
        for c in q.choices.all():
            choice = {"text": c.text, "correct": c.is_correct}
            optional = {
                "weight": c.weight,
                "position": c.correct_position,
                "match": c.match_text,
                "number": c.number,
                "tolerance": c.tolerance,
                "low": c.range_low,
                "high": c.range_high,
            }
            choice.update({k: _plain(v) for k, v in optional.items() if v not in (None, "")})
            question["choices"].append(choice)
        doc["questions"].append(question)
    return doc


def _image_entries(course):
    keys = set(image_keys(course.references_markdown))
    for module in course.modules.all():
        keys |= set(image_keys(module.body_markdown))
    quiz = getattr(course, "quiz", None)
    if quiz is not None:
        for q in quiz.questions.all():
            keys |= set(image_keys(q.stem_markdown))
    return list(Image.objects.filter(key__in=keys).order_by("key"))


def _write(archive, name, data):
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def course_export_zip(course):
    """The course folder as ZIP bytes: a folder named after the slug holding every file."""
    root = course.slug
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _write(archive, f"{root}/course.toml", tomli_w.dumps(course_document(course), multiline_strings=True))
        for module in course.modules.order_by("position"):
            _write(archive, f"{root}/{module_file_name(module)}", module.body_markdown.strip() + "\n")
        quiz = getattr(course, "quiz", None)
        if quiz is not None:
            _write(
                archive, f"{root}/post-test.toml", tomli_w.dumps(quiz_document(quiz), multiline_strings=True)
            )
        images = _image_entries(course)
        if images:
            tables = []
            for image in images:
                file = f"images/{image.key}.{EXTENSIONS[image.content_type]}"
                with storages["default"].open(image.file.name, "rb") as stored:
                    _write(archive, f"{root}/{file}", stored.read())
                table = {
                    "key": image.key,
                    "file": file,
                    "alt": image.alt_text,
                    "decorative": image.decorative,
                }
                for name, value in (
                    ("caption", image.caption),
                    ("source", image.source),
                    ("long_description", image.long_description_markdown),
                ):
                    if value:
                        table[name] = value
                tables.append(table)
            _write(archive, f"{root}/images.toml", tomli_w.dumps({"image": tables}, multiline_strings=True))
    return buffer.getvalue()
