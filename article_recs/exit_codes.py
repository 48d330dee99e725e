"""One exit status per kind of failure, the same for every ``article-recs`` command (scripts, cron and Dagster
can act on it without reading the message).

======  =====================================================================================================
status  meaning
======  =====================================================================================================
0       done
1       the command ran and the data failed its checks (``quality``: a critical suite failed)
2       bad arguments or input the user can fix (a missing file, a wrong option, a bad value)
3       a warehouse or server cannot be used: PostgreSQL down, refusing the login (wrong password, unknown
        user or database), a DuckDB file locked by another process - nothing was changed
4       the command started and failed part-way (PostgreSQL went away mid-publish, a statement was refused,
        another publish holds the lock): what it had begun is rolled back, the previous state stays
130     interrupted (Ctrl-C)
======  =====================================================================================================
"""

from __future__ import annotations

OK = 0
CHECKS_FAILED = 1
USAGE = 2
UNAVAILABLE = 3
FAILED = 4
INTERRUPTED = 130
