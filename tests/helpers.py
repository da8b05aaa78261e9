"""Small helpers shared by test modules."""

from pdca.services import imports
from priorities.roles import system_user


def import_actuals(*, path, user=None, **kwargs):
    """The import as a command runs it: as the system account unless a user is given."""
    return imports.import_actuals(path=path, user=user or system_user(), **kwargs)
