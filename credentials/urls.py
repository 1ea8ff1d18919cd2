from django.urls import path

import ce_course.converters  # noqa: F401  (registers the <id:> converter)
from credentials import views

urlpatterns = [
    path("credentials/issuer", views.issuer, name="credentials_issuer"),
    path("credentials/jwks.json", views.jwks, name="credentials_jwks"),
    path("credentials/keys/<str:kid>", views.key, name="credentials_key"),
    path("credentials/status/<id:list_id>", views.status_list, name="credentials_status_list"),
    path("certificates/<str:serial>/credential.json", views.download_json, name="credential_json"),
    path("certificates/<str:serial>/credential.jwt", views.download_jwt, name="credential_jwt"),
    path("certificates/<str:serial>/badge.png", views.download_badge, name="credential_badge"),
    path("certificates/<str:serial>/badge.svg", views.download_badge_svg, name="credential_badge_svg"),
]
