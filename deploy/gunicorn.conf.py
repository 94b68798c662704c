"""gunicorn settings for walkapp behind nginx (deploy/nginx-walkapp.conf); see the README.

    gunicorn -c deploy/gunicorn.conf.py 'walkapp:create_app()'

nginx buffers whole requests and responses, so plain sync workers never wait on a slow
phone: each worker is busy only while the app itself works. Run about two per core.
"""

import multiprocessing
import os

bind = os.environ.get("WALKAPP_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WALKAPP_WORKERS") or 2 * multiprocessing.cpu_count())
worker_class = "sync"
# A worker silent this long is killed and replaced (a request that hangs, not a slow client:
# nginx has already received the whole body before a worker sees it).
timeout = 30
graceful_timeout = 30
# Replace workers now and then: long-lived processes that decode images fragment memory.
max_requests = 2000
max_requests_jitter = 200
# nginx on the same machine: trust its X-Forwarded-Proto for the URL scheme (walkapp's own
# WALKAPP_TRUSTED_PROXIES=1 does the same for the client address and rate limits).
forwarded_allow_ips = "127.0.0.1,::1"
accesslog = "-"
errorlog = "-"
