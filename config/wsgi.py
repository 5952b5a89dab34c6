import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
application = get_wsgi_application()

# `gongjian serve --production` sets this: gunicorn loads the application once before it forks its workers
# (--preload), so everything a first request would build is built here, once, and shared by every worker.
if os.environ.get("GONGJIAN_WARM_START") == "1":
    from gongjian.core.warmup import warm  # after the application is loaded

    warm()
