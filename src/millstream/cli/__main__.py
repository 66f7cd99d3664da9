"""``python -m millstream.cli``: the same app as the ``millstream`` script."""

from millstream.cli.main import app

app(prog_name="millstream")
