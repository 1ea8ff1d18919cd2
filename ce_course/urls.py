from django.conf import settings
from django.contrib import admin
from django.urls import include, path

import ce_course.converters  # noqa: F401  (registers the <id:> and <attempt_number:> converters)
from accounts.forms import AdminLoginForm

admin.site.site_header = "CE Course authoring"
admin.site.site_title = "CE Course"
# The same log-in limits as the site's own form (accounts/forms.py).
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("modules.urls")),
    path("", include("quizzes.urls")),
    path("", include("certificates.urls")),
    path("", include("reports.urls")),
    path("", include("credentials.urls")),
    path("", include("lti.urls")),
    path("", include("reminders.urls")),
]

if settings.BENCH_HELLO:
    from ce_course.bench_views import hello

    urlpatterns.append(path("bench/hello/", hello, name="bench_hello"))

handler500 = "ce_course.errors.server_error"
