"""The ``eqf`` command line: parse, call one workflow, print a summary."""
