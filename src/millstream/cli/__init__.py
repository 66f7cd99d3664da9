"""The ``millstream`` command line: Typer + Rich over ``millstream.client``.

``main.py`` builds the app from one module per command family in ``commands/``; the
CLI talks to a server only through the client, so it works against any Millstream.
"""
