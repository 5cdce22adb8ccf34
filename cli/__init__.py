"""The ``casebook`` command line: argument parsing and printing over the application services."""
