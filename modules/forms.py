from django import forms


class EnrolForm(forms.Form):
    acknowledge = forms.BooleanField(
        label="I have read the disclosures above",
        error_messages={"required": "Please confirm that you have read the disclosures before you enrol."},
    )
