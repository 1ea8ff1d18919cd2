from django.apps import AppConfig


class CeCourseConfig(AppConfig):
    name = "ce_course"
    verbose_name = "CE Course"
