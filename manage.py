#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealership.settings")
    # manage.py is the developer's tool: without an explicit DEBUG it runs in development
    # mode, so `makemigrations` works on a fresh checkout. Production sets DEBUG=false (the
    # container does), and the web server (wsgi.py/asgi.py) has no such default: there a
    # missing SECRET_KEY still refuses to start.
    os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
