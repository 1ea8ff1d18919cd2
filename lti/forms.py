from django import forms


class LinkAccountForm(forms.Form):
    email = forms.EmailField(label="Email of your account here")
    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)


class IdentityConfirmForm(forms.Form):
    first_name = forms.CharField(label="Legal first name", max_length=150)
    last_name = forms.CharField(label="Legal last name", max_length=150)
    confirm = forms.BooleanField(
        label="This is my legal name as it appears on my nursing license, and my license on my profile is current."
    )
