"""gunicorn's settings for `make serve` (``gunicorn --config python:shizuoka_dx.gunicorn_conf``).

The address comes from the command line (HOST and PORT). Anything else can be added without
editing this file through gunicorn's own GUNICORN_CMD_ARGS, e.g. ``GUNICORN_CMD_ARGS="--timeout
60"``; FORWARDED_ALLOW_IPS names the proxies gunicorn trusts (default 127.0.0.1).
"""

import logging
import os
import sys
import time

from gunicorn import glogging

from shizuoka_dx import serve

# WEB_CONCURRENCY, or 2 × cores + 1 up to serve.MAX_WORKERS.
workers = serve.workers()
# A worker is replaced after about a thousand requests, so memory taken by one large upload
# does not stay with it for good.
max_requests = 1000
max_requests_jitter = 100
# Several checkouts or instances on one machine: no shared control socket in the home folder.
control_socket_disable = True

# Everything on stderr, in the shape and time zone of Django's log lines (settings.LOGGING):
#   2026-12-01 10:00:00,123 INFO gunicorn.access: 10.0.0.5 203.0.113.7 "GET / HTTP/1.1" 200 9573 3ms "…"
# that is the proxy's address, the client's as the proxy saw it (X-Forwarded-For), the request,
# the status, the response's Content-Length (static files go out by sendfile, which gunicorn's own
# byte count misses), the time taken and the user agent.
errorlog = "-"
accesslog = "-"
access_log_format = (
    '%(h)s %({x-forwarded-for}i)s "%(r)s" %(s)s %({content-length}o)s %(M)sms "%(a)s"'
)
# Django sets the workers' zone from settings.TIME_ZONE; the master's lines use the same.
TIME_ZONE = "Asia/Tokyo"
os.environ["TZ"] = TIME_ZONE
time.tzset()


class StderrLogger(glogging.Logger):
    """gunicorn's logger, with the access log on stderr (gunicorn writes it to stdout)."""

    error_fmt = "%(asctime)s %(levelname)s gunicorn.error: [%(process)d] %(message)s"
    access_fmt = "%(asctime)s INFO gunicorn.access: %(message)s"
    datefmt = None

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.access_log.handlers:
            if getattr(handler, "_gunicorn", False) and type(handler) is logging.StreamHandler:
                handler.setStream(sys.stderr)


logger_class = StderrLogger
