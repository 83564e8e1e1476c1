"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

import gc
import sys

from surveyapp import create_app
from surveyapp.config import ConfigurationError

#: gunicorn stops (instead of starting new workers forever) when a worker exits with this.
APP_LOAD_ERROR = 4

try:
    app = create_app()
except ConfigurationError as error:
    # One clear line instead of a traceback from every worker.
    print(f"surveyapp: configuration error: {error.format_message()}", file=sys.stderr)
    raise SystemExit(APP_LOAD_ERROR) from None

# The hundreds of thousands of objects made by importing Flask, SQLAlchemy, scipy and
# the app live as long as the worker. Left in the collector's young generations they
# are all traversed by the first full collection, which falls inside the first large
# request after a restart (250 ms of the open-data national table's first answer on the
# national database). Collected once here and frozen (moved to the permanent generation,
# as the gc documentation advises for long-lived start-up objects), they are never
# traversed again; objects made by requests are collected as before.
gc.collect()
gc.freeze()
