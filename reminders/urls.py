from django.urls import path

from reminders import views

urlpatterns = [
    path("reminders/unsubscribe/<str:token>/", views.unsubscribe, name="reminder_unsubscribe"),
    path("accounts/profile/reminders/", views.preferences, name="reminder_preferences"),
]
