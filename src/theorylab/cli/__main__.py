"""``python -m theorylab.cli``: the same as the ``theorylab`` command."""

from theorylab.cli import app

app(prog_name="theorylab")
