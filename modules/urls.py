from django.urls import path, register_converter

from modules import views


class ImageName:
    """A stored image's file name: key, 16 hex digits of its content hash, extension."""

    regex = r"[a-z0-9][a-z0-9_-]*-[0-9a-f]{16}\.(?:svg|png|jpg|webp)"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ImageName, "image_name")

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("courses/<slug:slug>/", views.course_detail, name="course_detail"),
    path("courses/<slug:course_slug>/modules/<slug:module_slug>/", views.module_detail, name="module_detail"),
    path("media/images/<image_name:name>", views.image_file, name="image_file"),
    path("media/signatures/<image_name:name>", views.provider_signature_file, name="provider_signature_file"),
    path(
        "courses/<slug:course_slug>/modules/<slug:module_slug>/complete/",
        views.module_complete,
        name="module_complete",
    ),
]
