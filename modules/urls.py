from django.urls import path

from modules import views

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("courses/<slug:slug>/", views.course_detail, name="course_detail"),
    path("courses/<slug:course_slug>/modules/<slug:module_slug>/", views.module_detail, name="module_detail"),
    path(
        "courses/<slug:course_slug>/modules/<slug:module_slug>/complete/",
        views.module_complete,
        name="module_complete",
    ),
]
