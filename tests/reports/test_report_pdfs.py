"""The completion report PDF and the activity file: every required part, repeated headers, fonts."""

import io
import re
import unicodedata
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock

import pytest
from pypdf import PdfReader

from certificates.models import Certificate, Evaluation
from reports.activity_file import activity_file_pdf, evaluation_results, markdown_lines
from reports.filters import CompletionFilter
from reports.pdf_summary import summary_pdf
from reports.selectors import (
    CompletionSummary,
    completion_rows,
    completion_summary,
    completions_per_month,
    score_distribution,
)
from tests.certificates.test_pdf import HARD_NAMES, STANDARD_14, embedded_fonts, flat

GENERATED = date(2026, 3, 20)
SUMMARY_HEADER = (
    "Learner",
    "Credentials",
    "Licenses",
    "Course",
    "Completed",
    "Contact hours",
    "Score",
    "Attempts",
    "Certificate",
    "Status",
)
PARTICIPANT_HEADER = ("Name", "Credentials", "Licenses", "Completed", "Certificate", "Status")


class Related(list):
    """A list that answers .all(), standing in for a prefetched related manager."""

    def all(self):
        return self


def pages(pdf: bytes) -> list[str]:
    return [flat(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


FOOTERS = re.compile(r"(CE completion report|Activity file) · generated \w+ \d+, \d{4} |Page \d+ of \d+")


def text(pdf: bytes) -> str:
    """All pages' text without the footers, so a paragraph split over a page break reads whole."""
    return " ".join(flat(FOOTERS.sub("", page)) for page in pages(pdf))


def completion(index: int = 0, **overrides) -> SimpleNamespace:
    """A certificate as completion_rows() annotates it."""
    values = {
        "learner_name": f"Learner {index:03d}",
        "learner_credentials": "RN, BSN",
        "licenses": Related([SimpleNamespace(profession="RN", state="FL", number=f"RN{index:07d}")]),
        "course_title": "Proximal Hamstring Tendinopathy",
        "completion_date": date(2026, 2, 14),
        "contact_hours": Decimal("1.00"),
        "best_percent": Decimal("87.50"),
        "attempts_used": 2,
        "seconds_spent": 3120,
        "serial": f"CE-2026-{index:06d}",
        "is_live": True,
    }
    return SimpleNamespace(**{**values, **overrides})


SUMMARY = CompletionSummary(
    enrolled=12,
    completed=9,
    attempted=10,
    passed=9,
    mean_score=Decimal("88.4"),
    mean_minutes=Decimal("57.5"),
    hours_awarded=Decimal("9.00"),
)


def render_summary(rows, **overrides) -> bytes:
    arguments = {
        "filter_description": [("Course", "Hamstring course"), ("License state", "Florida")],
        "summary": SUMMARY,
        "per_month": [(date(2026, 1, 1), 4), (date(2026, 2, 1), 5)],
        "scores": [("<50", 0), ("80-89", 6), ("90-99", 3)],
        "rows": rows,
        "generated_on": GENERATED,
        **overrides,
    }
    return summary_pdf(**arguments)


def assert_fonts_embedded(pdf: bytes) -> None:
    fonts = list(embedded_fonts(pdf))
    assert fonts
    for base_font, descriptor in fonts:
        name = base_font.lstrip("/").split("+")[-1]
        assert name not in STANDARD_14, f"{base_font} is an unembedded standard-14 font"
        assert "/FontFile2" in descriptor.get_object(), f"{base_font} is not embedded"


# --- completion report --------------------------------------------------------------------------


def test_summary_has_title_date_filter_figures_charts_and_table():
    pdf = render_summary([completion(1), completion(2, is_live=False)])
    content = text(pdf)
    for part in (
        "CE completion report",
        "Generated March 20, 2026",
        "Course Hamstring course",
        "License state Florida",
        "Enrolled 12",
        "Completed (certificates) 9",
        "Pass rate 90.0% (9 of 10 who took the post-test)",
        "Mean best score 88.4%",
        "Mean time in modules 57.5 minutes",
        "Contact hours awarded 9.00",
        "2026-01",  # the completions chart
        "80-89",  # the score chart
        "Learner 001 RN, BSN RN FL RN0000001 Proximal Hamstring Tendinopathy Feb 14, 2026 1.00 87.5% 2",
        "CE-2026-000001 Valid",
        "CE-2026-000002 Revoked",
    ):
        assert part in content, part
    assert all(label in content for label in SUMMARY_HEADER)
    assert pages(pdf)[-1].endswith("Page 1 of 1")


def test_summary_metadata_names_the_report():
    metadata = PdfReader(io.BytesIO(render_summary([completion()]))).metadata
    assert metadata.title == "CE completion report"
    assert metadata.author == "CE Course"
    assert "License state: Florida" in metadata.subject


def test_summary_table_repeats_its_header_on_every_page():
    pdf = render_summary([completion(index) for index in range(120)])
    texts = pages(pdf)
    assert len(texts) >= 3
    for number, page in enumerate(texts[1:], start=2):
        assert all(label in page for label in SUMMARY_HEADER), f"page {number} has no header"
        assert f"Page {number} of {len(texts)}" in page
    assert "Learner 119" in texts[-1]


def test_summary_says_when_rows_were_capped():
    content = text(render_summary([completion(i) for i in range(3)], truncated_total=7250))
    assert "Showing the first 3 of 7,250 completions." in content


def test_summary_with_no_completions_renders_empty_charts_and_says_so():
    empty = CompletionSummary(0, 0, 0, 0, None, None, Decimal("0.00"))
    content = text(render_summary([], summary=empty, per_month=[], scores=[], filter_description=[]))
    assert "No completions match this filter." in content
    assert "No data" in content
    assert "Pass rate — (no one has taken the post-test)" in content
    assert "Mean best score —" in content


@pytest.mark.parametrize("name", HARD_NAMES)
def test_hard_names_come_out_intact(name):
    decomposed = unicodedata.normalize("NFD", name)
    content = text(render_summary([completion(learner_name=decomposed)]))
    assert name in content


def test_markup_characters_print_literally():
    title = "Wound care & <pressure> injuries: R&D <b>not bold</b>"
    content = text(render_summary([completion(course_title=title)], filter_description=[("Course", title)]))
    assert content.count("Wound care & <pressure> injuries:") == 2


def test_summary_fonts_are_embedded():
    assert_fonts_embedded(render_summary([completion()]))


@pytest.mark.django_db
def test_summary_from_the_selectors(certificate):
    f = CompletionFilter()
    pdf = summary_pdf(
        filter_description=[],
        summary=completion_summary(f),
        per_month=completions_per_month(f),
        scores=score_distribution(f),
        rows=completion_rows(f),
    )
    content = text(pdf)
    assert certificate.serial in content and "Alice Nguyen" in content and "RN FL RN1234567" in content


# --- evaluation results -------------------------------------------------------------------------


def evaluation(ratings, evidence=True, unbiased=True, change="Screen for it."):
    return SimpleNamespace(
        objective_ratings=[{"objective": o, "rating": r} for o, r in ratings],
        evidence_based=evidence,
        free_of_bias=unbiased,
        intended_change=change,
    )


def test_evaluation_results_by_hand():
    results = evaluation_results(
        [
            evaluation([("Describe A.", 5), ("List B.", 3)]),
            evaluation([("Describe A.", 4), ("List B.", 4)], unbiased=False, change="  "),
            evaluation([("Describe A.", 4)], evidence=False, change="Refer  earlier."),
        ]
    )
    assert results.responses == 3
    assert [(o.objective, o.responses, o.mean) for o in results.objectives] == [
        ("Describe A.", 3, Decimal("4.33")),  # 13 / 3
        ("List B.", 2, Decimal("3.50")),
    ]
    assert (results.evidence_based_yes, results.free_of_bias_yes) == (2, 2)
    assert results.evidence_based_percent == Decimal("66.7")
    assert results.intended_changes == ("Screen for it.", "Refer earlier.")


def test_evaluation_results_skip_malformed_ratings():
    bad = SimpleNamespace(
        objective_ratings=[
            {"objective": "A", "rating": 9},
            {"objective": "", "rating": 3},
            {"rating": 2},
            "x",
        ],
        evidence_based=True,
        free_of_bias=True,
        intended_change="",
    )
    results = evaluation_results([bad, evaluation([("A", "2")])])
    assert [(o.objective, o.responses, o.mean) for o in results.objectives] == [("A", 1, Decimal("2.00"))]


def test_evaluation_results_of_nothing():
    results = evaluation_results([])
    assert results.responses == 0 and results.objectives == ()
    assert results.evidence_based_percent is None and results.free_of_bias_percent is None


def test_markdown_references_become_plain_lines():
    source = """
- Degen, R. M. (2019). *Proximal hamstring injuries*. **Current Reviews**, 12(2),
  138–146. [doi](https://doi.org/10.1007/s12178-019-09541-3)
- Pourcho, A. (2015). <https://example.org/a_b>

1. Numbered \\*entry\\*
"""
    assert markdown_lines(source) == [
        "Degen, R. M. (2019). Proximal hamstring injuries. Current Reviews, 12(2), 138–146. "
        "doi (https://doi.org/10.1007/s12178-019-09541-3)",
        "Pourcho, A. (2015). https://example.org/a_b",
        "1. Numbered *entry*",
    ]


# --- activity file ------------------------------------------------------------------------------


def fake_course(**overrides) -> SimpleNamespace:
    values = {
        "slug": "hamstring",
        "title": "Proximal Hamstring Tendinopathy",
        "provider_name": "Example Nursing CE Provider",
        "provider_approval_number": "EX-0000",
        "accreditation_statement": "Example provider is accredited by ANCC.",
        "ce_broker_course_number": "20-000000",
        "release_date": date(2026, 1, 15),
        "expiry_date": date(2028, 1, 14),
        "contact_hours": Decimal("1.00"),
        "contact_hours_calculation": "52 minutes of study, 5 of post-test and 3 of evaluation: 60 minutes.",
        "disclosure_relationships": "No planner has a relevant financial relationship.",
        "disclosure_mitigation": "No mitigation was needed.",
        "support_records": Related([]),
        "joint_providers": Related([]),
        "last_review_date": None,
        "provider": SimpleNamespace(ce_broker_provider_number=""),
        "learning_outcome": "Learners identify and manage proximal hamstring tendinopathy.",
        "completion_criteria": "Study all modules, score 80% or better, submit the evaluation.",
        "references_markdown": "- Degen, R. M. (2019). *Proximal hamstring injuries*.",
        "planners": Related(
            [
                SimpleNamespace(
                    name="Jordan Example",
                    credentials="MSN, RN",
                    role="Nurse planner",
                    is_nurse_planner=True,
                    financial_relationships="No relevant financial relationships.",
                ),
                SimpleNamespace(
                    name="Kelsey Bates",
                    credentials="APRN",
                    role="Content author",
                    is_nurse_planner=False,
                    financial_relationships="Speaker fee, Acme Ortho (ended 2024).",
                ),
            ]
        ),
        "modules": Related(
            [SimpleNamespace(position=1, title="Overview", objectives=["Describe why it is missed."])]
        ),
        "quiz": SimpleNamespace(pass_mark_percent=Decimal("80.00"), attempts_allowed=3),
    }
    return SimpleNamespace(**{**values, **overrides})


def render_activity(evaluations=(), participants=(), **course) -> bytes:
    return activity_file_pdf(
        fake_course(**course), evaluations=evaluations, participants=participants, generated_on=GENERATED
    )


def test_activity_file_has_every_part():
    evaluations = [
        evaluation([("Describe why it is missed.", 5)]),
        evaluation([("Describe why it is missed.", 4)], unbiased=False, change="Ask about sitting pain."),
    ]
    participants = [completion(1, learner_name="Zoë Ångström-Nguyễn"), completion(2, is_live=False)]
    content = text(render_activity(evaluations, participants))
    for part in (
        "Activity file",
        "Proximal Hamstring Tendinopathy",
        "Generated March 20, 2026",
        "Format Enduring material, online",
        "Release date January 15, 2026",
        "Expiry date January 14, 2028",
        "Contact hours 1.00",
        "52 minutes of study, 5 of post-test and 3 of evaluation: 60 minutes.",
        "Provider approval number EX-0000",
        "Jordan Example MSN, RN Nurse planner",
        "Kelsey Bates APRN Content author Speaker fee, Acme Ortho (ended 2024).",
        "No planner has a relevant financial relationship.",
        "No mitigation was needed.",
        "This activity received no commercial support.",
        "Learners identify and manage proximal hamstring tendinopathy.",
        "1. Overview",
        "• Describe why it is missed.",
        "Study all modules, score 80% or better, submit the evaluation.",
        "Degen, R. M. (2019). Proximal hamstring injuries.",
        "scale of 1 (not met) to 5 (fully met)",
        "evidence-based and whether it was free of commercial bias",
        "post-test with a pass mark of 80% (3 attempts allowed)",
        "Evaluations submitted: 2",
        "Describe why it is missed. 2 4.50",
        "Evidence-based Yes: 2 of 2 (100.0%)",
        "Free of commercial bias Yes: 1 of 2 (50.0%)",
        "• Screen for it.",
        "• Ask about sitting pain.",
        "Certificates issued: 2",
        "Zoë Ångström-Nguyễn RN, BSN RN FL RN0000001 Feb 14, 2026 CE-2026-000001 Valid",
        "CE-2026-000002 Revoked",
    ):
        assert part in content, part
    assert "*" not in content.split("References", 1)[1].split("Evaluation method", 1)[0]


def test_activity_file_metadata():
    metadata = PdfReader(io.BytesIO(render_activity())).metadata
    assert metadata.title == "Activity file — Proximal Hamstring Tendinopathy"
    assert metadata.author == "Example Nursing CE Provider"


def test_activity_file_without_evaluations_or_participants():
    content = text(render_activity(references_markdown="", disclosure_mitigation=""))
    assert "Evaluations submitted: 0" in content and "Certificates issued: 0" in content
    assert "None needed." in content


def test_participant_table_repeats_its_header_on_every_page():
    texts = pages(render_activity(participants=[completion(i) for i in range(150)]))
    table_pages = [i for i, page in enumerate(texts) if "Learner 0" in page or "Learner 1" in page]
    assert len(table_pages) >= 2
    for index in table_pages:
        assert all(label in texts[index] for label in PARTICIPANT_HEADER), f"page {index + 1} has no header"
    assert "Learner 149" in texts[-1] and f"Page {len(texts)} of {len(texts)}" in texts[-1]


def test_intended_changes_are_capped_with_a_count():
    evaluations = [evaluation([("A", 5)], change=f"Change number {n}.") for n in range(205)]
    content = text(render_activity(evaluations))
    assert "Showing the first 200 of 205 answers." in content
    assert "Change number 199." in content and "Change number 200." not in content


def test_activity_file_fonts_are_embedded():
    assert_fonts_embedded(render_activity(participants=[completion()]))


@pytest.mark.django_db
def test_activity_file_from_the_database(certificate, course, post_test):
    evaluations = Evaluation.objects.filter(enrollment__course=course)
    participants = Certificate.objects.filter(course=course).defer("pdf").prefetch_related("licenses")
    content = text(activity_file_pdf(course, evaluations=evaluations, participants=participants))
    assert course.title in content
    assert "Alice Nguyen" in content and certificate.serial in content
    assert "Describe the thing. 1 5.00" in content
    assert "pass mark of 80%" in content
    assert "Add proximal hamstring tendinopathy to my differential" in content


def test_generated_date_defaults_to_today(settings):
    with mock.patch("reports.pdf_summary.timezone.localdate", return_value=date(2031, 7, 4)):
        content = text(render_summary([], generated_on=None))
    assert "Generated July 4, 2031" in content
    assert "Generated March 20, 2026" in text(render_summary([]))  # the helper's fixed date, for contrast
