from django import forms

from modules.authoring import ARTICLE_MAX_BYTES, article_text
from modules.content import ContentError, split_article
from modules.models import Provider

# One byte more than allowed, so an oversized file is recognised without reading all of it.
ARTICLE_READ_LIMIT = ARTICLE_MAX_BYTES + 1


class EnrolForm(forms.Form):
    acknowledge = forms.BooleanField(
        label="I have read the disclosures above",
        error_messages={"required": "Please confirm that you have read the disclosures before you enrol."},
    )


class ArticleUploadForm(forms.Form):
    """Step one of the authoring page: the article, and what the new course is called."""

    article = forms.FileField(
        required=False,
        help_text="A Markdown (.md) file. Each second-level heading (##) starts a module.",
        widget=forms.ClearableFileInput(attrs={"accept": ".md,.markdown,.txt"}),
    )
    article_text = forms.CharField(
        required=False,
        label="article (Markdown)",
        widget=forms.Textarea(attrs={"rows": 14, "cols": 100}),
        help_text="Edit the ## headings to move split points, then preview again.",
    )
    slug = forms.SlugField(
        max_length=50, help_text="The course's address: lowercase letters, digits, hyphens."
    )
    title = forms.CharField(
        max_length=200, required=False, help_text="Leave empty to use the article's # title."
    )
    provider = forms.ModelChoiceField(queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = Provider.objects.all()
        if self.fields["provider"].queryset.count() == 1:
            self.fields["provider"].initial = self.fields["provider"].queryset.first()

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("article")
        if upload is not None:
            try:
                cleaned["article_text"] = article_text(upload.read(ARTICLE_READ_LIMIT))
            except ContentError as error:
                self.add_error("article", str(error))
        elif not (cleaned.get("article_text") or "").strip():
            self.add_error("article", "Choose a Markdown file.")
        if cleaned.get("article_text"):
            try:
                cleaned["title_from_article"], cleaned["modules"] = split_article(cleaned["article_text"])
            except ContentError as error:
                self.add_error("article" if upload is not None else "article_text", str(error))
        return cleaned
