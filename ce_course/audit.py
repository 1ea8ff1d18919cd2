"""One function to write an audit event, so every caller records the same shape."""

from ce_course.models import AuditEvent


def audit_record(*, actor, action, obj, summary, data=None):
    """Record `action` on `obj` by `actor` (a user, or None for a command). Returns the event."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:300],
        data=data or {},
    )


class AuditedAdminMixin:
    """Changes to a published course (its text, modules or settings) are written to the audit log."""

    def audited_course(self, obj):
        return obj

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        course = self.audited_course(obj)
        if course.is_published and form.changed_data:
            verb = "changed" if change else "added"
            audit_record(
                actor=request.user,
                action=f"{obj._meta.model_name}.{verb}",
                obj=obj,
                summary=f"{obj._meta.verbose_name} “{obj}” {verb} in published course {course.slug}",
                data={"fields": form.changed_data},
            )

    def delete_model(self, request, obj):
        course = self.audited_course(obj)
        super().delete_model(request, obj)
        if course.is_published:
            audit_record(
                actor=request.user,
                action=f"{obj._meta.model_name}.deleted",
                obj=course,
                summary=f"{obj._meta.verbose_name} “{obj}” deleted from published course {course.slug}",
            )
