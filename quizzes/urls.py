from django.urls import path

import ce_course.converters  # noqa: F401  (registers the <id:> and <attempt_number:> converters)
from quizzes import views

urlpatterns = [
    path("courses/<slug:slug>/post-test/", views.post_test, name="post_test"),
    path(
        "courses/<slug:slug>/post-test/attempts/<attempt_number:number>/",
        views.attempt_detail,
        name="attempt_detail",
    ),
    path(
        "courses/<slug:slug>/post-test/attempts/<attempt_number:number>/summary/",
        views.attempt_summary,
        name="attempt_summary",
    ),
    path(
        "courses/<slug:slug>/post-test/attempts/<attempt_number:number>/submit/",
        views.attempt_submit,
        name="attempt_submit",
    ),
    path(
        "courses/<slug:slug>/post-test/attempts/<attempt_number:number>/review/",
        views.attempt_review,
        name="attempt_review",
    ),
]
