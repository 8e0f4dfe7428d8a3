"""pgtest_marker under a name no identifier can spell: an underscore, then
a hyphen, like Debian's stdlib module _sysconfigdata__x86_64-linux-gnu.
The import system takes any file name on sys.path, and so may a pickle."""
from pgtest_marker import fire  # noqa: F401
