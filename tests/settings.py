"""Settings for the test suite: the real settings, with a fast password hasher.

Django's default hasher is deliberately slow (about 0.3 s a password here), and the suite creates
and logs in users in nearly every test. MD5 is only acceptable because these passwords protect
nothing; shizuoka_dx/settings.py, which production uses, never names it.
"""

from shizuoka_dx.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
