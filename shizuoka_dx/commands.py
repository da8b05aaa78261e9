"""What every command of ours shares: a refusal is printed as its Japanese message only.

Django prints a refused command as 「CommandError: …」, an exception name nobody running the
yearly cycle should have to read. Run from the command line, our commands print the message
alone (still on stderr, still exit status 1); ``call_command`` (and ``--traceback``) still raise
CommandError, so tests and scripts see the exception.
"""

import sys

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    def execute(self, *args, **options):
        if not getattr(self, "_called_from_command_line", False) or options.get("traceback"):
            return super().execute(*args, **options)
        try:
            return super().execute(*args, **options)
        except CommandError as exc:
            self.stderr.write(str(exc), self.style.ERROR)
            sys.exit(exc.returncode)
