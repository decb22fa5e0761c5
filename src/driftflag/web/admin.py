"""The admin (superusers only): users, roles, assignments; the access log read-only."""

from django.contrib import admin

from driftflag.web.models import AccessEntry, Assignment


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("month", "child_id", "auditor", "assigned_by", "assigned_at")
    list_filter = ("month",)


@admin.register(AccessEntry)
class AccessEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "username", "role", "action", "month", "child_id", "detail")
    list_filter = ("action", "role")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
