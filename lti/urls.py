from django.urls import path

from lti import views

urlpatterns = [
    path("lti/jwks/", views.jwks, name="lti_jwks"),
    path("lti/login/", views.oidc_login, name="lti_login"),
    path("lti/launch/", views.launch, name="lti_launch"),
    path("lti/account/", views.account, name="lti_account"),
    path("lti/identity/", views.identity_confirm, name="lti_identity"),
    path("lti/deep-link/", views.deep_link, name="lti_deep_link"),
    path("lti/deep-link/respond/", views.deep_link_respond, name="lti_deep_link_respond"),
]
