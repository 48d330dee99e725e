"""Shared pytest set-up.

`make test` runs the test files in pytest-xdist workers (execnet starts each with `python -c ...`), whose
`__main__` module has neither `__spec__` nor `__file__`. pyspark.sql.connect, which Great Expectations imports
whenever pyspark is installed (`make spark-deps`), reads exactly that as "running doctests without the Spark
Connect dependencies" and calls sys.exit(0) mid-import (pyspark/sql/connect/utils.py, check_dependencies).
Naming the worker's `__main__` keeps that import an import.
"""

from __future__ import annotations

import sys

_main = sys.modules["__main__"]
if getattr(_main, "__spec__", None) is None and not hasattr(_main, "__file__"):
    _main.__file__ = "<pytest-xdist worker>"
