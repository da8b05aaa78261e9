"""Settings for the public-page benchmark (tests/bench_public.py): production's own settings,
with a URLconf that adds a trivial view to compare against. Never used by the app itself."""

from shizuoka_dx.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench_urls"
