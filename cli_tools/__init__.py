"""Subcommands of the `inbound` command that a developer runs by hand: map, send, check.

`cli.py` stays the entry point (`cli:main`); each module here adds one subcommand to its parser.
"""
