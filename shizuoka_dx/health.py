"""``/healthz`` for load balancers and monitoring: is this app server able to work?

It answers 200 ``ok`` when the database answers a trivial query and 503 when it does not, in plain
text, with no login, no cookie and no HTTPS redirect (SECURE_REDIRECT_EXEMPT), and never from a
cache.
"""

import logging

from django.db import DatabaseError, connections
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("ヘルスチェック: データベースが応答しません: %s", exc)
        return _plain("データベースに接続できません\n", status=503)
    return _plain("ok\n")


def _plain(text, status=200):
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
