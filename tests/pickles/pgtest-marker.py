"""pgtest_marker under a name no identifier can spell: the import system
takes any file name on sys.path (Debian's stdlib has
_sysconfigdata__x86_64-linux-gnu), and so may a pickle."""
from pgtest_marker import fire  # noqa: F401
