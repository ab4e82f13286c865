"""The ``goshfile`` command line: thin commands over the library."""
