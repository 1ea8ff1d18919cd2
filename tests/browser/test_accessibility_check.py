"""The accessibility check itself must be able to fail, or the zero-violation results mean nothing."""

import pytest

from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_axe_check_reports_an_image_without_alt_text(page):
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><img src="x.png"></main></body></html>'
    )
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(page)


def test_fieldset_check_reports_a_radio_group_without_legend(page):
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main>'
        '<label><input type="radio" name="pick" value="1"> One</label>'
        '<label><input type="radio" name="pick" value="2"> Two</label></main></body></html>'
    )
    with pytest.raises(AssertionError, match="outside a fieldset"):
        assert_accessible(page)
