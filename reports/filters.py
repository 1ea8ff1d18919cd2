"""The completion report's filter: a form for the page, a plain value for selectors and the audit log."""

from dataclasses import asdict, dataclass
from datetime import date

from django import forms

from accounts.models import Profession
from accounts.states import US_STATES
from modules.models import Course

STATUS_CHOICES = [("live", "Valid"), ("revoked", "Revoked"), ("all", "Valid and revoked")]
REPORTED_CHOICES = [("", "Reported or not"), ("yes", "Reported to CE Broker"), ("no", "Not yet reported")]


@dataclass(frozen=True)
class CompletionFilter:
    course_id: int | None = None
    completed_from: date | None = None
    completed_to: date | None = None
    state: str = ""
    profession: str = ""
    status: str = "live"
    reported: str = ""

    def as_dict(self):
        """JSON-safe, for ReportDownload.filters and RosterBatch.filters."""
        return {
            k: (v.isoformat() if isinstance(v, date) else v)
            for k, v in asdict(self).items()
            if v not in (None, "")
        }


class CompletionFilterForm(forms.Form):
    course = forms.ModelChoiceField(
        queryset=Course.objects.order_by("title"), required=False, empty_label="All courses"
    )
    completed_from = forms.DateField(
        required=False, label="Completed from", widget=forms.DateInput(attrs={"type": "date"})
    )
    completed_to = forms.DateField(
        required=False, label="Completed to", widget=forms.DateInput(attrs={"type": "date"})
    )
    state = forms.ChoiceField(choices=[("", "All states"), *US_STATES], required=False, label="License state")
    profession = forms.ChoiceField(
        choices=[("", "All professions"), *Profession.choices], required=False, label="Profession"
    )
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False, label="Certificate status")
    reported = forms.ChoiceField(choices=REPORTED_CHOICES, required=False, label="CE Broker")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("completed_from"), cleaned.get("completed_to")
        if start and end and start > end:
            self.add_error("completed_to", "The end date is before the start date.")
        return cleaned

    def to_filter(self):
        """The CompletionFilter for valid data (call is_valid() first); the default filter otherwise."""
        if not self.is_valid():
            return CompletionFilter()
        data = self.cleaned_data
        return CompletionFilter(
            course_id=data["course"].pk if data.get("course") else None,
            completed_from=data.get("completed_from"),
            completed_to=data.get("completed_to"),
            state=data.get("state") or "",
            profession=data.get("profession") or "",
            status=data.get("status") or "live",
            reported=data.get("reported") or "",
        )
