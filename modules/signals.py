"""Replace the content version (modules/content_cache.py) whenever course structure changes.

Signals, because courses, modules and quizzes are changed from the admin, from `load_course` and
from GIFT imports alike. Saves that bypass signals (queryset.update) call content_forget().
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from modules.content_cache import content_forget
from modules.models import CommercialSupport, Course, JointProvider, Module, Organization, Provider
from quizzes.models import Quiz


@receiver(post_save, sender=Course, dispatch_uid="modules.course_saved")
@receiver(post_delete, sender=Course, dispatch_uid="modules.course_deleted")
@receiver(post_save, sender=Module, dispatch_uid="modules.module_saved")
@receiver(post_delete, sender=Module, dispatch_uid="modules.module_deleted")
@receiver(post_save, sender=Quiz, dispatch_uid="modules.quiz_saved")
@receiver(post_delete, sender=Quiz, dispatch_uid="modules.quiz_deleted")
# What the course page prints from the provider and the disclosure records is kept with the course.
@receiver(post_save, sender=Provider, dispatch_uid="modules.provider_saved")
@receiver(post_save, sender=Organization, dispatch_uid="modules.organization_saved")
@receiver(post_save, sender=JointProvider, dispatch_uid="modules.joint_provider_saved")
@receiver(post_delete, sender=JointProvider, dispatch_uid="modules.joint_provider_deleted")
@receiver(post_save, sender=CommercialSupport, dispatch_uid="modules.support_saved")
@receiver(post_delete, sender=CommercialSupport, dispatch_uid="modules.support_deleted")
def content_changed(sender, **kwargs):
    content_forget()
