from django.urls import path

from quizzes import views

urlpatterns = [
    path("courses/<slug:slug>/post-test/", views.post_test, name="post_test"),
    path("courses/<slug:slug>/post-test/attempts/<int:number>/", views.attempt_detail, name="attempt_detail"),
    path(
        "courses/<slug:slug>/post-test/attempts/<int:number>/summary/",
        views.attempt_summary,
        name="attempt_summary",
    ),
    path(
        "courses/<slug:slug>/post-test/attempts/<int:number>/submit/",
        views.attempt_submit,
        name="attempt_submit",
    ),
    path(
        "courses/<slug:slug>/post-test/attempts/<int:number>/review/",
        views.attempt_review,
        name="attempt_review",
    ),
]
