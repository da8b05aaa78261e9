"""Admin pieces the apps share."""

from django.contrib import admin


class ReadOnlyInline(admin.TabularInline):
    """Records shown for reading beside their parent: they change on their own admin page,
    through their one write path (so a locked year never blocks saving the parent)."""

    extra = 0
    show_change_link = True
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False
