#!/usr/bin/env python3
"""check_compat_table.py TABLE: the committed Python 2 name table
(scanner/compat_pickle.inc) matches this Python's _compat_pickle, so that
the scanner maps names exactly as find_class does."""
import _compat_pickle
import re
import sys


def main(path):
    text = open(path).read()
    names = {(m, n): (m2, n2) for m, n, m2, n2 in
             re.findall(r'\{ "([^"]*)", "([^"]*)", "([^"]*)", "([^"]*)" \}', text)}
    imports = dict(re.findall(r'^\t\{ "([^"]*)", "([^"]*)" \},$', text, re.M))
    bad = []
    if names != dict(_compat_pickle.NAME_MAPPING):
        bad.append("NAME_MAPPING differs: %s" % sorted(
            set(names.items()) ^ set(_compat_pickle.NAME_MAPPING.items()))[:5])
    if imports != dict(_compat_pickle.IMPORT_MAPPING):
        bad.append("IMPORT_MAPPING differs: %s" % sorted(
            set(imports.items()) ^ set(_compat_pickle.IMPORT_MAPPING.items()))[:5])
    for b in bad:
        print("check_compat_table: " + b)
    if bad:
        print("check_compat_table: regenerate with scripts/gen-compat-table.py")
        return 1
    print("check_compat_table: %d names, %d modules match Python %s" % (
        len(names), len(imports), sys.version.split()[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
