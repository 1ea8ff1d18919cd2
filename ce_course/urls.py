from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "CE Course authoring"
admin.site.site_title = "CE Course"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("modules.urls")),
    path("", include("quizzes.urls")),
    path("", include("certificates.urls")),
]
