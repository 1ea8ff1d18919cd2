"""The authoring page's module order: pure, no database."""

import pytest

from modules.authoring import arrange_modules
from modules.content import ContentError, split_article

ARTICLE = "## One\na\n\n## Two\nb\n\n## Three\nc\n\n## Four\nd\n"


def titles(modules):
    return [m.title for m in modules]


def test_a_module_given_an_earlier_place_goes_before_the_one_there():
    _, modules = split_article(ARTICLE)
    arranged = arrange_modules(modules, [""] * 4, [1, 2, 3, 1])
    assert titles(arranged) == ["Four", "One", "Two", "Three"]


def test_a_module_given_a_later_place_goes_before_the_one_there():
    _, modules = split_article(ARTICLE)
    assert titles(arrange_modules(modules, [""] * 4, [3, 2, 3, 4])) == ["Two", "One", "Three", "Four"]


def test_a_blank_title_keeps_the_heading_and_a_new_one_replaces_it():
    _, modules = split_article(ARTICLE)
    assert titles(arrange_modules(modules, ["", "Second", "", ""], [1, 2, 3, 4])) == [
        "One",
        "Second",
        "Three",
        "Four",
    ]


def test_a_changed_article_with_more_modules_than_the_preview_is_refused():
    _, modules = split_article(ARTICLE)
    with pytest.raises(ContentError, match="preview it again"):
        arrange_modules(modules, ["", ""], [1, 2])
