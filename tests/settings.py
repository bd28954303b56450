"""Settings for the test suite: the real settings with fast hashing and plain static files."""

import os

os.environ.setdefault("MOTCUA_FAST_PASSWORD_HASHER", "1")
os.environ.setdefault("MOTCUA_MANIFEST_STATIC", "0")
os.environ.setdefault("MOTCUA_DATA_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test"))

from motcua.config.settings import *  # noqa: F403

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "notifications", "exchange"],
    }
}

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (WhiteNoise warns when it is missing)
