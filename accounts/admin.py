from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import License, User


class LicenseInline(admin.TabularInline):
    model = License
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "credentials", "is_staff", "date_joined"]
    search_fields = ["email", "first_name", "last_name", "licenses__number"]
    list_filter = ["is_staff", "is_superuser", "groups"]
    inlines = [LicenseInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Legal name and credentials", {"fields": ("first_name", "last_name", "credentials")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "credentials", "password1", "password2"),
            },
        ),
    )
