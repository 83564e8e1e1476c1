"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

import sys

from surveyapp import create_app, freeze_start_up_objects
from surveyapp.config import ConfigurationError

#: gunicorn stops (instead of starting new workers forever) when a worker exits with this.
APP_LOAD_ERROR = 4

try:
    app = create_app()
except ConfigurationError as error:
    # One clear line instead of a traceback from every worker.
    print(f"surveyapp: configuration error: {error.format_message()}", file=sys.stderr)
    raise SystemExit(APP_LOAD_ERROR) from None

# The first large request after a restart no longer pays for the collector's first
# full pass over the start-up's objects.
freeze_start_up_objects()
