from django import forms

RATINGS = [
    (str(n), label) for n, label in ((5, "5 – fully met"), (4, "4"), (3, "3"), (2, "2"), (1, "1 – not met"))
]
YES_NO = [("yes", "Yes"), ("no", "No")]


class EvaluationForm(forms.Form):
    """One 1-5 rating per learning objective, then the questions accreditation asks of every activity."""

    evidence_based = forms.ChoiceField(
        label="Was the content evidence-based?", choices=YES_NO, widget=forms.RadioSelect
    )
    free_of_bias = forms.ChoiceField(
        label="Was the content free of commercial bias?", choices=YES_NO, widget=forms.RadioSelect
    )
    bias_comment = forms.CharField(
        label="If not, please tell us what was not evidence-based or was biased",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    intended_change = forms.CharField(
        label="What do you intend to change in your practice as a result of this activity?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    comments = forms.CharField(
        label="Any other comments", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, objectives, **kwargs):
        super().__init__(*args, **kwargs)
        self.objectives = list(objectives)
        for index, objective in enumerate(self.objectives):
            self.fields[f"objective_{index}"] = forms.ChoiceField(
                label=objective,
                choices=RATINGS,
                widget=forms.RadioSelect,
                error_messages={"required": "Rate how well this objective was met."},
            )

    def objective_fields(self):
        return [self[f"objective_{index}"] for index in range(len(self.objectives))]

    def clean(self):
        cleaned = super().clean()
        concerns = cleaned.get("evidence_based") == "no" or cleaned.get("free_of_bias") == "no"
        if concerns and not (cleaned.get("bias_comment") or "").strip():
            self.add_error("bias_comment", "Please tell us what was not evidence-based or was biased.")
        return cleaned

    def service_arguments(self):
        data = self.cleaned_data
        return {
            "objective_ratings": [
                {"objective": objective, "rating": int(data[f"objective_{index}"])}
                for index, objective in enumerate(self.objectives)
            ],
            "evidence_based": data["evidence_based"] == "yes",
            "free_of_bias": data["free_of_bias"] == "yes",
            "bias_comment": data["bias_comment"].strip(),
            "intended_change": data["intended_change"].strip(),
            "comments": data["comments"].strip(),
        }


class AttestationForm(forms.Form):
    minutes = forms.IntegerField(
        label="Minutes you spent on this activity",
        min_value=1,
        max_value=24 * 60,
        help_text=(
            "Prefilled with the time we tracked while you studied here. Correct it if it is wrong: time we"
            " cannot see, such as reading a printout, counts too. The provider reviews attested time well"
            " above the tracked time."
        ),
    )
    confirm = forms.BooleanField(
        label="I attest that I completed this activity and spent the time stated above.",
        error_messages={"required": "Tick the box to attest that you completed the activity."},
    )


class VerifyForm(forms.Form):
    code = forms.CharField(label="Verification code", max_length=40)


class RevokeForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


PDF_SIGNATURE = b"%PDF-"


class VerifyPdfForm(forms.Form):
    """The "check a PDF" upload. Its size limit is enforced while the file is read (uploads.py)."""

    pdf = forms.FileField(
        label="Certificate PDF",
        error_messages={
            "required": "Choose the certificate's PDF file to check.",
            "empty": "The file is empty. Choose the certificate's PDF file.",
        },
    )

    def clean_pdf(self):
        upload = self.cleaned_data["pdf"]
        content = upload.read()
        if not content.startswith(PDF_SIGNATURE):
            raise forms.ValidationError(
                "This file is not a PDF. Choose the certificate's PDF file, as it was downloaded."
            )
        return content
