"""A test script's own readings of kernel counters, for checking the agent's ticks.

Readings: lines "time value..." taken every few tens of ms by the test (shell
builtins, the time stamped with the reads).  A counter's value at any time
between two readings is interpolated: the windows of the agent's ticks fall
between readings.  Used by tests/transitions.py and tests/holders.py.
"""
import bisect, datetime


class Readings:
    def __init__(self, path):
        self.rows = [list(map(float, l.split())) for l in open(path) if l.strip()]
        self.times = [r[0] for r in self.rows]
        self.columns = len(self.rows[0]) if self.rows else 0

    def at(self, t, col):
        """Column col at time t, or None outside the readings."""
        i = bisect.bisect_left(self.times, t)
        if i <= 0 or i >= len(self.rows):
            return None
        a, b = self.rows[i - 1], self.rows[i]
        return a[col] + (b[col] - a[col]) * (t - a[0]) / (b[0] - a[0])

    def delta(self, t0, t1, col):
        """Its growth over [t0, t1], or None outside the readings."""
        x, y = self.at(t0, col), self.at(t1, col)
        return None if x is None or y is None else y - x


def tick_end(record):
    """A record's @timestamp (the end of its interval) as seconds since the epoch."""
    return datetime.datetime.strptime(record["@timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
