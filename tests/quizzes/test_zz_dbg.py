import pytest
from django.urls import reverse
from tests.conftest import login
from quizzes.models import Quiz
from django.core.files.uploadedfile import SimpleUploadedFile
pytestmark = pytest.mark.django_db
def test_x(client, author, course):
    quiz = Quiz.objects.create(course=course)
    login(client, author)
    html = client.get(reverse("admin:quizzes_quiz_change", args=[quiz.pk])).content.decode()
    import re
    i = html.find("object-tools"); print(html[i-200:i+800])
    r = client.post(reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk]), {"file": SimpleUploadedFile("a", b"x"*1_000_001)})
    h = r.content.decode(); i = h.find("errorlist"); print(h[i-100:i+400])
