"""Report charts: one reportlab Drawing, embedded as CSP-safe, labelled inline SVG."""

import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from reports.charts import (
    chart_text_alternative,
    completions_chart,
    drawing_svg,
    month_points,
    scores_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
BAR_FILL = "rgb(11%,22%,37%)"
MONTHS = [(date(2026, 1, 1), 3), (date(2026, 2, 1), 5), (date(2026, 3, 1), 2)]
SCORES = [("<50", 1), ("50-59", 2), ("60-69", 3), ("70-79", 4), ("80-89", 5), ("90-99", 6), ("100", 7)]


def parse(svg: str) -> ET.Element:
    # Our own renderer's output; parsing it also proves it is well-formed XML.
    return ET.fromstring(svg)  # noqa: S314


def bars(svg: str) -> list[ET.Element]:
    return [rect for rect in parse(svg).iter(f"{SVG}rect") if rect.get("fill") == BAR_FILL]


def text_of(svg: str) -> list[str]:
    return [node.text for node in parse(svg).iter(f"{SVG}text")]


@pytest.fixture
def months_svg():
    return drawing_svg(
        completions_chart(MONTHS), title="Completions per month", description="Bars by month", slug="months"
    )


def test_svg_is_an_image_labelled_by_its_title_and_description(months_svg):
    root = parse(months_svg)
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert (title.text, desc.text) == ("Completions per month", "Bars by month")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert root[0] is title  # SVG wants <title> as the first child


def test_svg_embeds_in_html_without_prolog_doctype_style_or_script(months_svg):
    assert months_svg.startswith("<svg ")
    assert "<?xml" not in months_svg and "<!DOCTYPE" not in months_svg
    # style-src 'self' blocks style attributes and <style> in inline SVG; presentation attributes pass.
    assert "style=" not in months_svg and "<style" not in months_svg
    assert "<script" not in months_svg.lower() and "javascript:" not in months_svg.lower()
    assert 'font-family="' in months_svg and "DejaVu Sans" in months_svg
    assert f'fill="{BAR_FILL}"' in months_svg


def test_a_blank_description_is_left_out():
    root = parse(drawing_svg(completions_chart(MONTHS), title="Completions", description=" ", slug="m"))
    assert root.find(f"{SVG}desc") is None
    assert root.get("aria-labelledby") == "m-title"


def test_ids_are_prefixed_with_the_slug_so_two_charts_can_share_a_page(months_svg):
    scores_svg = drawing_svg(scores_chart(SCORES), title="Scores", description="", slug="scores")
    months_ids = set(re.findall(r'id="([^"]+)"', months_svg))
    scores_ids = set(re.findall(r'id="([^"]+)"', scores_svg))
    assert months_ids and scores_ids and not months_ids & scores_ids
    assert all(value.startswith("months-") for value in months_ids)
    for reference in re.findall(r"url\(#([^)]+)\)", months_svg):
        assert reference in months_ids


def test_without_a_slug_each_call_gets_its_own_ids():
    first = drawing_svg(completions_chart(MONTHS), title="a", description="b")
    second = drawing_svg(completions_chart(MONTHS), title="a", description="b")
    assert set(re.findall(r'id="([^"]+)"', first)).isdisjoint(re.findall(r'id="([^"]+)"', second))


def test_title_and_description_are_escaped():
    svg = drawing_svg(completions_chart(MONTHS), title="R&D <script>", description='"x" & y', slug="x")
    assert "<script" not in svg
    assert parse(svg).find(f"{SVG}title").text == "R&D <script>"


def test_one_bar_per_data_point_with_month_and_count_labels(months_svg):
    assert len(bars(months_svg)) == len(MONTHS)
    labels = text_of(months_svg)
    assert {"2026-01", "2026-02", "2026-03"} <= set(labels)
    assert {"3", "5", "2"} <= set(labels)


def test_score_chart_has_a_bar_per_bin_and_the_bin_labels():
    svg = drawing_svg(scores_chart(SCORES), title="Scores", description="", slug="s")
    assert len(bars(svg)) == len(SCORES)
    assert {label for label, _ in SCORES} <= set(text_of(svg))


def test_taller_bars_for_larger_counts(months_svg):
    heights = [float(rect.get("height")) for rect in bars(months_svg)]
    assert heights[1] > heights[0] > heights[2] > 0


def test_months_without_completions_are_drawn_as_zero():
    assert month_points([(date(2025, 11, 1), 2), (date(2026, 2, 1), 1)]) == [
        ("2025-11", 2),
        ("2025-12", 0),
        ("2026-01", 0),
        ("2026-02", 1),
    ]


def test_a_long_span_thins_month_labels_but_keeps_every_bar():
    series = [(date(2023 + m // 12, m % 12 + 1, 1), m + 1) for m in range(36)]
    svg = drawing_svg(completions_chart(series), title="t", description="d", slug="long")
    assert len(bars(svg)) == 36
    month_labels = [text for text in text_of(svg) if re.fullmatch(r"\d{4}-\d{2}", text or "")]
    assert "2023-01" in month_labels and 1 < len(month_labels) < 36


@pytest.mark.parametrize(
    "drawing", [completions_chart([]), scores_chart([]), scores_chart([(label, 0) for label, _ in SCORES])]
)
def test_empty_series_draw_an_empty_chart_saying_no_data(drawing):
    svg = drawing_svg(drawing, title="Nothing", description="No completions", slug="empty")
    assert "No data" in text_of(svg)
    assert bars(svg) == []
    assert "style=" not in svg


def test_text_alternative_lists_every_value_the_total_and_the_highest():
    text = chart_text_alternative(MONTHS, what="Completions per month")
    assert text == (
        "Completions per month: 2026-01: 3, 2026-02: 5, 2026-03: 2. Total 10. Highest: 2026-02 (5)."
    )


def test_text_alternative_names_ties_and_labels_bins():
    text = chart_text_alternative([("<50", 0), ("90-99", 4), ("100", 4)], what="Best post-test scores")
    assert text.startswith("Best post-test scores: <50: 0, 90-99: 4, 100: 4.")
    assert text.endswith("Highest: 90-99 and 100 (4).")


def test_text_alternative_of_an_empty_series():
    assert chart_text_alternative([], what="Completions per month") == "Completions per month: no data."
    assert chart_text_alternative([("<50", 0)], what="Scores") == "Scores: no data."
