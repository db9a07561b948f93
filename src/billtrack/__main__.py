"""`python -m billtrack`: the same as the `billtrack` command."""

from billtrack.entrypoints.cli.main import main

main()
