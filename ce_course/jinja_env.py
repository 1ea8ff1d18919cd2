"""The Jinja2 environment the site's pages render with (settings.TEMPLATES, README "Performance").

The learner pages are the ones loaded most, and Django's template engine was a third of their
server time; Jinja2 compiles a template to Python and renders the same page in a fraction of that.
The Django admin and crispy-forms keep Django's engine (their templates are written for it).

The pages were written for Django's engine, so this keeps its behaviour where they rely on it:
- a missing variable or attribute renders as an empty string (ChainableUndefined), as in Django;
- datetimes are shown in the site's time zone, in Django's formats, by Django's own `date` and
  `time` filters, as Django's engine does for `{{ value }}` and `{{ value|date:"…" }}`;
- the few other Django filters the pages use are Django's functions, so the text is identical, and
  like Django's engine they see "" for a missing value;
Autoescaping is always on; Django's safe strings stay safe.
"""

import datetime
import functools

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import reverse
from django.utils import formats
from django.utils.timezone import template_localtime
from jinja2 import ChainableUndefined, Environment, Undefined


def url(name, *args, **kwargs):
    """`{{ url('name', arg) }}`: Django's {% url %}."""
    return reverse(name, args=args or None, kwargs=kwargs or None)


def date(value, arg=None):
    return defaultfilters.date(template_localtime(value), arg)


def time(value, arg=None):
    return defaultfilters.time(template_localtime(value), arg)


def _django_filter(function):
    """A Django filter for Jinja2. A missing value reaches it as "", as in Django's engine, which
    applies a filter to "" when the variable does not exist (Jinja would pass its Undefined)."""

    @functools.wraps(function)
    def jinja_filter(value, *args):
        return function("" if isinstance(value, Undefined) else value, *args)

    return jinja_filter


def _finalize(value):
    # What Django's engine does with a datetime printed without a filter: local time, local format.
    if isinstance(value, datetime.date | datetime.time):
        return formats.localize(template_localtime(value))
    return value


def environment(**options):
    # Django's backend passes Undefined (DebugUndefined with DEBUG on, which prints the tag): both
    # differ from what the pages expect, so this replaces it rather than set a default.
    options["undefined"] = ChainableUndefined
    options.setdefault("keep_trailing_newline", True)  # as Django's engine does
    options.pop("autoescape", None)  # always on, whatever the settings say
    env = Environment(autoescape=True, finalize=_finalize, **options)
    env.globals.update(url=url, static=static)
    env.filters.update(
        {
            name: _django_filter(function)
            for name, function in {
                "add": defaultfilters.add,
                "crispy": as_crispy_form,
                "date": date,
                "default": defaultfilters.default,
                "default_if_none": defaultfilters.default_if_none,
                "floatformat": defaultfilters.floatformat,
                "linebreaksbr": defaultfilters.linebreaksbr,
                "pluralize": defaultfilters.pluralize,
                "stringformat": defaultfilters.stringformat,
                "time": time,
                "urlencode": defaultfilters.urlencode,
                "yesno": defaultfilters.yesno,
            }.items()
        }
    )
    return env
