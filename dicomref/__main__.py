"""Allow `python -m dicomref`."""

from dicomref.cli import app

app(prog_name="dicomref")
