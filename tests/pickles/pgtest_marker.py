"""Harmless payload for the pickle regression cases.

The cases in tests/pickles/cases call into this module wherever a real
attack would run code.  All it ever does is create an empty file
$PGTEST_MARKER_DIR/fired-<tag>, so tests/pickles/verify_cpython.py can tell
whether CPython's unpickler really executed the payload.  Without
PGTEST_MARKER_DIR set nothing is written.
"""
import os
import re
import sys

__all__ = ["fire", "FireOnNew", "Holder", "Gadget"]


def fire(tag="x", *a, **k):
    """Create $PGTEST_MARKER_DIR/fired-<tag>; extra arguments are ignored."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", str(tag))[:100] or "x"
    directory = os.environ.get("PGTEST_MARKER_DIR")
    if not directory:
        sys.stderr.write("pgtest_marker: fired %s (PGTEST_MARKER_DIR unset)\n" % safe)
        return 0
    with open(os.path.join(directory, "fired-" + safe), "w"):
        pass
    return 0


class FireOnNew:
    """Instantiating it (even via cls.__new__ alone, as NEWOBJ does) fires."""

    def __new__(cls, *a, **k):
        fire("new")
        return super().__new__(cls)

    def __init__(self, *a, **k):
        pass


class Holder:
    """Holder.fire is a dotted name that protocol 4 find_class resolves."""

    fire = staticmethod(fire)


class Gadget:
    """BUILD on an instance calls __setstate__, which fires."""

    def __setstate__(self, state):
        fire("setstate")
