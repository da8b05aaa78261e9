"""Small helpers shared by test modules."""

from pdca.services import imports
from priorities.roles import system_user


def import_actuals(*, path, user=None, **kwargs):
    """The import as a command runs it: as the system account unless a user is given."""
    return imports.import_actuals(path=path, user=user or system_user(), **kwargs)


def run_python(env: dict, *args: str, timeout: int = 300):
    """Run ``python *args`` in the checkout with ``env`` (another process: an app server's
    command, a script) and return it once it has succeeded; its stderr is the failure's text."""
    import subprocess
    import sys

    from django.conf import settings

    done = subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    return done
