from django.urls import path

from certificates import views

urlpatterns = [
    path("courses/<slug:slug>/evaluation/", views.evaluation, name="evaluation"),
    path("courses/<slug:slug>/certificate/", views.certificate, name="certificate"),
    path("certificates/<str:serial>/download/", views.certificate_download, name="certificate_download"),
    path("certificates/<str:serial>/manage/", views.certificate_manage, name="certificate_manage"),
    path("dashboard/transcript.pdf", views.transcript_pdf, name="transcript_pdf"),
    path("verify/", views.verify, name="verify"),
    # Before verify/<code>/: these words are not codes (codes are 12 upper-case letters and digits).
    path("verify/pdf/", views.verify_pdf, name="verify_pdf"),
    path("verify/keys/", views.verify_keys, name="verify_keys"),
    path("verify/keys/<str:kid>.pem", views.verify_key_certificate, name="verify_key_certificate"),
    path("verify/<str:code>/", views.verify_code, name="verify_code"),
]
