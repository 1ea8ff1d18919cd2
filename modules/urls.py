from django.urls import path, re_path

from modules import views

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("courses/<slug:slug>/", views.course_detail, name="course_detail"),
    path("courses/<slug:course_slug>/modules/<slug:module_slug>/", views.module_detail, name="module_detail"),
    re_path(
        r"^media/images/(?P<name>[a-z0-9][a-z0-9_-]*-[0-9a-f]{16}\.(?:svg|png|jpg|webp))$",
        views.image_file,
        name="image_file",
    ),
    path(
        "courses/<slug:course_slug>/modules/<slug:module_slug>/complete/",
        views.module_complete,
        name="module_complete",
    ),
]
