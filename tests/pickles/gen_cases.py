#!/usr/bin/env python3
"""Generate the pickle regression cases: tests/pickles/cases/NAME.{pkl,expect}.

Run from the project root:  python3 tests/pickles/gen_cases.py

Every case is one table row below: the bytes (hand-assembled with the
opcode helpers, or pickle.dumps where that is what a real file holds), what
the scanner must report (verdict, reason kinds, optionally the import set)
and what CPython really does with it (the cpython: claim, checked by
tests/pickles/verify_cpython.py).  Wherever a payload must run it calls the
harmless tests/pickles/pgtest_marker.fire with the case name as its tag.

The output is deterministic; stale NAME.pkl/NAME.expect files are removed.
"""
import _compat_pickle
import argparse
import collections
import io
import os
import pickle
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases")

# ---------------------------------------------------------------- opcodes --


def b(s):
    return s.encode("latin-1") if isinstance(s, str) else s


def proto(n):
    return b"\x80" + bytes([n])


def frame(body):
    """FRAME whose length is exactly len(body)."""
    return b"\x95" + struct.pack("<Q", len(body)) + body


def frame_len(n):
    """FRAME header claiming n bytes, whatever follows."""
    return b"\x95" + struct.pack("<Q", n)


def sbu(s):  # SHORT_BINUNICODE
    e = s.encode("utf-8")
    return b"\x8c" + bytes([len(e)]) + e


def bu(s):  # BINUNICODE
    e = s.encode("utf-8")
    return b"X" + struct.pack("<I", len(e)) + e


def sbs(s):  # SHORT_BINSTRING
    e = b(s)
    return b"U" + bytes([len(e)]) + e


def string(raw):  # STRING, raw text between the quotes (escapes kept as is)
    return b"S'" + b(raw) + b"'\n"


def binbytes(data):  # BINBYTES
    return b"B" + struct.pack("<I", len(data)) + data


def glob(module, name):  # GLOBAL
    return b"c" + b(module) + b"\n" + b(name) + b"\n"


def binput(i):
    return b"q" + bytes([i])


def binget(i):
    return b"h" + bytes([i])


def long_binget(i):
    return b"j" + struct.pack("<I", i)


def binint1(i):
    return b"K" + bytes([i])


MEMOIZE, STACK_GLOBAL, TUPLE1, TUPLE2, TUPLE3 = b"\x94", b"\x93", b"\x85", b"\x86", b"\x87"
REDUCE, BUILD, STOP, POP, MARK = b"R", b"b", b".", b"0", b"("

# ------------------------------------------------------------- payloads --


def call_p0(tag, module="pgtest_marker", name="fire"):
    """Protocol 0 call: module.name('tag')."""
    return glob(module, name) + b"(" + string(tag) + b"tR"


def call_p4(tag, module="pgtest_marker", name="fire"):
    """Protocol 4 call: STACK_GLOBAL module.name, then ('tag',) REDUCE."""
    return sbu(module) + sbu(name) + STACK_GLOBAL + sbu(tag) + TUPLE1 + REDUCE


def payload_p0(tag):
    return call_p0(tag) + STOP


def payload_p2(tag):
    return proto(2) + glob("pgtest_marker", "fire") + bu(tag) + TUPLE1 + REDUCE + STOP


def payload_p4(tag):
    return proto(4) + call_p4(tag) + STOP


def nest_loads(inner, proto_no=3):
    """pickle.loads(BINBYTES inner)."""
    return proto(proto_no) + glob("pickle", "loads") + binbytes(inner) + TUPLE1 + REDUCE + STOP


# ------------------------------------------------------------ computed --

CLEAN_BUILTINS = {
    "i": 1, "big": 2 ** 100, "f": 1.5, "c": 1 + 2j, "s": "txt", "u": "\u00fcn\u00ef",
    "b": b"\x00\xff", "ba": bytearray(b"xy"), "t": (1, 2), "l": [None, True, False],
    "set": {1}, "fs": frozenset({2}),
}


def clean_collections():
    dd = collections.defaultdict(list)
    dd["k"].append(1)
    return {
        "od": collections.OrderedDict([("a", 1), ("b", 2)]),
        "dd": dd,
        "cnt": collections.Counter("aab"),
        "dq": collections.deque([1, 2]),
    }


def resolved_imports(data):
    """The imports a pickle makes, as CPython resolves them (Python 2 names
    mapped below protocol 3), recorded by the pure-Python unpickler."""
    seen = set()

    class Recorder(pickle._Unpickler):
        def find_class(self, module, name):
            m, n = module, name
            if self.proto < 3 and self.fix_imports:
                if (m, n) in _compat_pickle.NAME_MAPPING:
                    m, n = _compat_pickle.NAME_MAPPING[(m, n)]
                elif m in _compat_pickle.IMPORT_MAPPING:
                    m = _compat_pickle.IMPORT_MAPPING[m]
            seen.add(m + "." + n)
            return super().find_class(module, name)

    Recorder(io.BytesIO(data)).load()
    return " ".join(sorted(seen))


def billion_laughs(levels=45, fanout=10):
    out = proto(4) + b"]" + MEMOIZE
    for k in range(1, levels + 1):
        gets = b"".join((binget if i % 2 == 0 else long_binget)(k - 1) for i in range(fanout))
        out += MARK + gets + b"l" + MEMOIZE
    return out + STOP


def nested_deep(tag, depth=6):
    data = payload_p0(tag)
    for _ in range(depth):
        data = nest_loads(data)
    return data


def bytes_from_ints(data):
    """builtins.bytes([ints...]) as EMPTY_LIST MARK BININT1... APPENDS."""
    return (glob("builtins", "bytes") + b"]" + MARK + b"".join(binint1(c) for c in data)
            + b"e" + TUPLE1 + REDUCE)


# ---------------------------------------------------------------- cases --

CASES = []


def case(name, data, verdict, reasons, cpython, note, loader="load", allow=None,
         imports=None, ext=None, needs=None):
    CASES.append(dict(name=name, data=data, verdict=verdict, reasons=reasons,
                      cpython=cpython, note=note, loader=loader, allow=allow,
                      imports=imports, ext=ext, needs=needs))


F = "import:pgtest_marker.fire"

# ---- imports ----
case("global_p0_payload", payload_p0("global_p0_payload"), "unsafe", F, "runs",
     "protocol 0 GLOBAL of a non-allowlisted function, called with REDUCE")
case("global_os_system", glob("os", "system") + b"(" + string("true") + b"tR.", "unsafe",
     "import:os.system", "reaches:os.system",
     "the classic os.system payload (the verifier's audit hook refuses the import)")
case("stack_global_p4",
     proto(4) + frame(sbu("pgtest_marker") + MEMOIZE + sbu("fire") + MEMOIZE + STACK_GLOBAL
                      + MEMOIZE + sbu("stack_global_p4") + MEMOIZE + TUPLE1 + MEMOIZE
                      + REDUCE + MEMOIZE + STOP),
     "unsafe", F, "runs", "protocol 4 framed STACK_GLOBAL import, as pickle.dumps writes it")
case("inst_payload", b"(" + string("inst_payload") + b"ipgtest_marker\nfire\n.", "unsafe", F,
     "runs", "INST imports and calls in one opcode")
case("obj_payload", b"(" + glob("pgtest_marker", "fire") + string("obj_payload") + b"o.",
     "unsafe", F, "runs", "OBJ calls the first item after MARK with the rest as arguments")
case("newobj_payload", proto(2) + glob("pgtest_marker", "FireOnNew") + b")\x81.", "unsafe",
     "import:pgtest_marker.FireOnNew", "runs", "NEWOBJ runs cls.__new__ of an imported class")
case("newobj_ex_payload",
     proto(4) + frame(sbu("pgtest_marker") + sbu("FireOnNew") + STACK_GLOBAL + b")}\x92."),
     "unsafe", "import:pgtest_marker.FireOnNew", "runs",
     "NEWOBJ_EX runs cls.__new__(cls, *args, **kwargs) of an imported class")
case("py2_builtin_eval", glob("__builtin__", "eval") + b"(" + string("1") + b"tR.", "unsafe",
     "import:builtins.eval", "reaches:builtins.eval",
     "Python 2 spelling __builtin__.eval is mapped to builtins.eval at protocol 0")
case("py2_copyreg_ok", pickle.dumps(argparse.Namespace(a=1), protocol=0), "safe", "", "loads",
     "protocol 0 object via copy_reg._reconstructor: mapped names must match the allowlist",
     allow="argparse.Namespace", imports="copyreg._reconstructor argparse.Namespace builtins.object")
case("dotted_p4",
     proto(4) + sbu("pgtest_marker") + sbu("Holder.fire") + STACK_GLOBAL + sbu("dotted_p4")
     + TUPLE1 + REDUCE + STOP,
     "unsafe", "import-dotted:pgtest_marker.Holder.fire", "runs",
     "protocol 4 find_class walks dotted names: Holder.fire reaches the function")
case("dunder_import",
     proto(4) + sbu("builtins") + sbu("__import__") + STACK_GLOBAL + sbu("pgtest_marker")
     + TUPLE1 + REDUCE + STOP,
     "unsafe", "import-dunder:builtins.__import__", "reaches:builtins.__import__",
     "builtins.__import__ imports arbitrary modules")
case("ext_payload", proto(2) + b"\x82\xf0" + bu("ext_payload") + TUPLE1 + REDUCE + STOP,
     "unsafe", "ext", "runs",
     "EXT1 240 imports whatever the copyreg extension registry maps code 240 to",
     ext="240")
case("ext_code_zero", proto(2) + b"\x82\x00.", "unsafe", "ext", "fails",
     "EXT1 with code 0, which CPython rejects as corrupt")

# ---- STACK_GLOBAL operands and memo ----
case("stack_global_from_call",
     proto(4) + sbu("builtins") + sbu("str") + STACK_GLOBAL + sbu("pgtest_marker") + TUPLE1
     + REDUCE + sbu("fire") + STACK_GLOBAL + sbu("stack_global_from_call") + TUPLE1 + REDUCE
     + STOP,
     "unsafe", "global-operand", "runs",
     "STACK_GLOBAL module name is the result of the allowed call builtins.str('pgtest_marker')")
case("stack_global_via_memo",
     proto(4) + sbu("pgtest_marker") + binput(0) + POP + sbu("fire") + binput(1) + POP
     + binget(0) + binget(1) + STACK_GLOBAL + sbu("stack_global_via_memo") + TUPLE1 + REDUCE
     + STOP,
     "unsafe", F, "runs", "STACK_GLOBAL operands come back from the memo (BINPUT/BINGET)")
case("memo_put_overwrite",
     proto(4) + sbu("collections") + binput(0) + POP + sbu("pgtest_marker") + binput(0) + POP
     + binget(0) + sbu("fire") + STACK_GLOBAL + sbu("memo_put_overwrite") + TUPLE1 + REDUCE
     + STOP,
     "unsafe", F, "runs", "BINPUT 0 overwrites 'collections' with 'pgtest_marker' before BINGET 0")
case("memoize_counts_keys",
     proto(4) + sbu("pgtest_marker") + binput(5) + POP + sbu("fire") + MEMOIZE + POP
     + binget(5) + binget(1) + STACK_GLOBAL + sbu("memoize_counts_keys") + TUPLE1 + REDUCE
     + STOP,
     "unsafe", F, "runs",
     "MEMOIZE stores at len(memo) = 1 (distinct keys), not at highest index + 1 = 6")
case("memoize_after_overwrite",
     proto(4) + sbu("collections") + b"p0\n" + POP + sbu("pgtest_marker") + b"p0\n" + POP
     + sbu("fire") + MEMOIZE + POP + binget(0) + binget(1) + STACK_GLOBAL
     + sbu("memoize_after_overwrite") + TUPLE1 + REDUCE + STOP,
     "unsafe", F, "runs",
     "PUT 0 twice leaves one memo key, so MEMOIZE stores 'fire' at index 1")
case("string_operands_p0_escape",
     proto(4) + string(r"pgtest\x5fmarker") + string("fire") + STACK_GLOBAL
     + string("string_operands_p0_escape") + TUPLE1 + REDUCE + STOP,
     "unsafe", F, "runs",
     "STACK_GLOBAL operands are STRING opcodes; \\x5f escape decodes to '_'")
case("unicode_operands_escape",
     proto(4) + b"Vpgtest\\u005fmarker\n" + b"Vfire\n" + STACK_GLOBAL
     + b"Vunicode_operands_escape\n" + TUPLE1 + REDUCE + STOP,
     "unsafe", F, "runs",
     "STACK_GLOBAL operands are UNICODE opcodes; raw-unicode-escape \\u005f decodes to '_'")
case("binstring_operands",
     proto(4) + sbs("pgtest_marker") + sbs("fire") + STACK_GLOBAL + sbs("binstring_operands")
     + TUPLE1 + REDUCE + STOP,
     "unsafe", F, "runs", "STACK_GLOBAL operands are SHORT_BINSTRING, decoded as ASCII str")
case("pop_mark_hides_nothing", b"(" + glob("pgtest_marker", "fire") + b"1N.", "unsafe", F,
     "reaches:pgtest_marker.fire",
     "POP_MARK discards the imported callable, but find_class already imported it")
case("dup_payload", glob("pgtest_marker", "fire") + b"20(" + string("dup_payload") + b"tR.",
     "unsafe", F, "runs", "DUP then POP leaves the imported callable for REDUCE")
case("text_index_nul",
     b"Vpgtest_marker\np2\x00junk\n0Vfire\np3\n0g2\x00\ng3\x00 \n\x93"
     + b"(Vtext_index_nul\ntR.",
     "unsafe", F, "runs",
     "PUT/GET index lines are C strings to PyLong_FromString: '2\\0junk' is 2")
case("text_index_long_line",
     b"Np0\n0g" + b" " * 70000 + b"0\n0" + payload_p0("text_index_long_line"),
     "unsafe", F, "runs",
     "a GET index line of 70,000 spaces and a digit: PyLong_FromString skips the spaces, "
     "and so does the scan, rather than call the bytes no pickle")
case("hyphen_module",
     b"N0" + glob("_pgtest-marker", "fire") + b"(" + string("hyphen_module") + b"tRh\xff",
     "unsafe", "import:_pgtest-marker.fire memo truncated", "runs",
     "find_class imports any file name on sys.path, hyphens and all; the GET of a missing "
     "key after it must not make the bytes 'no pickle'")
case("rebuild_from_type_calls",
     proto(3) + glob("torch._tensor", "_rebuild_from_type_v2") + b"(" + glob("pickle", "loads")
     + glob("builtins", "object") + b"(" + b"B" + struct.pack("<I", len(payload_p2("rebuild_from_type_calls")))
     + payload_p2("rebuild_from_type_calls") + b"t}tR.",
     "unsafe", F, "runs",
     "_rebuild_from_type_v2 calls func(*args): pickle.loads of a payload, whatever follows",
     allow="torch._tensor._rebuild_from_type_v2 pickle.loads", needs="torch")
case("build_escaped_dunder_state",
     proto(2) + glob("argparse", "Namespace") + b")R(N}V"
     + b"".join(b"\\U%08x" % c for c in b"__class__") + b"\n"
     + glob("pgtest_marker", "Holder") + b"stb.",
     "unsafe", "build", "loads",
     "a BUILD key spelled in 90 bytes of \\U escapes decodes to __class__",
     allow="argparse.Namespace pgtest_marker.Holder")
# pickle.dumps(numpy.dtype([('a', 'O')]), protocol=2) with numpy 1.24
DTYPE_OBJECT_FIELD = (b"\x80\x02cnumpy\ndtype\nq\x00X\x02\x00\x00\x00V8q\x01\x89\x88\x87q\x02"
                      b"Rq\x03(K\x03X\x01\x00\x00\x00|q\x04NX\x01\x00\x00\x00aq\x05\x85q\x06}q\x07"
                      b"h\x05h\x00X\x02\x00\x00\x00O8q\x08\x89\x88\x87q\tRq\n(K\x03h\x04NNNJ"
                      b"\xff\xff\xff\xffJ\xff\xff\xff\xffK?tq\x0bbK\x00\x86q\x0csK\x08K\x01K\x1b"
                      b"tq\rb.")
case("dtype_structured_object", DTYPE_OBJECT_FIELD, "unsafe", "build:numpy.dtype", "loads",
     "a structured dtype with an object field: numpy's __setstate__ trusts the state's "
     "offsets and flags, so a forged one points numpy at bytes of the pickle's choosing",
     needs="numpy")
# pickle.dumps(numpy.empty(0, dtype=object), protocol=2), its list made by builtins.list()
case("ndarray_object_list_by_call",
     b"\x80\x02cnumpy.core.multiarray\n_reconstruct\nq\x00cnumpy\nndarray\nq\x01K\x00\x85q"
     b"\x02c_codecs\nencode\nq\x03X\x01\x00\x00\x00bq\x04X\x06\x00\x00\x00latin1q\x05\x86"
     b"q\x06Rq\x07\x87q\x08Rq\t(K\x01K\x00\x85q\ncnumpy\ndtype\nq\x0bX\x02\x00\x00\x00O8"
     b"q\x0c\x89\x88\x87q\rRq\x0e(K\x03X\x01\x00\x00\x00|q\x0fNNNJ\xff\xff\xff\xffJ\xff"
     b"\xff\xff\xffK?tq\x10b\x89" + glob("builtins", "list") + b")Rtq\x12b.",
     "unsafe", "build:numpy.core.multiarray._reconstruct", "loads",
     "an object array's list made by a call: its length is unknown, and numpy reads as "
     "many items as the shape says, past a short list's end",
     needs="numpy")
case("memo_get_missing_proto", b"\x80\x02h\x07.", "unsafe", "memo", "fails",
     "BINGET of a memo key that was never PUT, after a PROTO")
case("memo_get_missing_bare", b"h\x07.", "not-pickle", "", "fails",
     "BINGET of a missing key with no PROTO: CPython fails before any import")

# ---- frames ----
case("frame_crossing_benign",
     proto(4) + frame_len(7) + b"X\x05\x00\x00\x00hello" + STOP,
     "unsafe", "frame", "loads",
     "FRAME of 7 bytes ends inside a BINUNICODE; the C unpickler does not check frame ends")
case("frame_overrun_payload",
     proto(4) + frame_len(len(call_p4("frame_overrun_payload")) + 1 + 1000)
     + call_p4("frame_overrun_payload") + STOP,
     "unsafe", "frame " + F, "runs",
     "FRAME claims 1000 bytes more than the file has; pickle.py's Unframer reads what is there",
     loader="py-load")
case("frame_in_frame",
     proto(4) + frame(frame(sbu("hi") + MEMOIZE + STOP)),
     "unsafe", "frame", "loads", "FRAME inside an unfinished FRAME (C unpickler accepts it)")
case("stop_inside_frame",
     proto(4) + frame(sbu("ok") + MEMOIZE + STOP + payload_p4("stop_inside_frame")),
     "unsafe", "frame " + F, "runs",
     "one FRAME covers a clean pickle's STOP and a second, payload pickle; load() again runs it",
     loader="load-all")

# ---- PROTO ----
case("proto_repeated", b"\x80\x02\x80\x02N.", "unsafe", "proto", "loads",
     "PROTO repeated (CPython accepts PROTO anywhere)")
case("proto_late_changes_mapping",
     proto(4) + sbu("clean") + MEMOIZE + POP + proto(2) + glob("__builtin__", "eval")
     + bu("1") + TUPLE1 + REDUCE + STOP,
     "unsafe", "proto import:builtins.eval", "reaches:builtins.eval",
     "a late PROTO 2 switches Python 2 name mapping on: __builtin__.eval means builtins.eval")
case("proto_unsupported_payload", proto(6) + call_p0("proto_unsupported_payload") + STOP,
     "unsafe", "proto " + F, "fails",
     "PROTO 6 is unsupported (CPython stops), but the payload behind it is still reported")

# ---- stream structure ----
case("unknown_opcode_after_proto", b"\x80\x02\xff", "unsafe", "opcode", "fails",
     "unknown opcode 0xff after a PROTO")
case("truncated_after_import", b"\x80\x02cpgtest_marker\nfire\n", "unsafe",
     "import truncated", "reaches:pgtest_marker.fire",
     "stream ends after a GLOBAL: CPython has already imported it")
# pickle.py (joblib's unpickler) reads a last line with no newline, and an
# empty line, and still calls find_class; _pickle.c stops before it
case("global_name_at_eof", b"cpgtest_marker\nfire_", "unsafe",
     "truncated import:pgtest_marker.fire", "reaches:pgtest_marker.fire",
     "GLOBAL name line without its newline at the end: pickle.py strips the last byte "
     "('fire_' -> 'fire') and imports it", loader="py-load")
case("global_empty_module_line", b"c\nfire\n.", "unsafe",
     "malformed import", "reaches:.fire",
     "GLOBAL with an empty module line: _pickle.c fails, pickle.py calls find_class('', 'fire') "
     "(whose import fails); the stream then reaches STOP, so it is a pickle, and not a clean one",
     loader="py-load")
case("text_starting_with_c", b"class Foo:\n    pass\n", "not-pickle", "", "fails",
     "a Python source file is a GLOBAL of names no module can have, then junk: not a pickle")
case("inst_without_mark", b"ipgtest_marker\nfire\n.", "unsafe",
     "mark import:pgtest_marker.fire", "reaches:pgtest_marker.fire",
     "INST with no MARK: _pickle.c fails first, pickle.py imports the class before popping "
     "the mark", loader="py-load")
# numpy's ndarray.__setstate__ reads an object array's list with
# PyList_GET_ITEM up to the shape's count: a shorter list reads past it
case("numpy_object_list_short",
     proto(2) + glob("numpy.core.multiarray", "_reconstruct") + glob("numpy", "ndarray")
     + b"K\x00\x85" + glob("_codecs", "encode") + bu("b") + bu("latin1") + b"\x86R"
     + b"\x87R"
     + b"(K\x01K\xc8\x85" + glob("numpy", "dtype") + bu("O8") + b"\x89\x88\x87R"
     + b"(K\x03" + bu("|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tb"
     + b"\x89](K\x01K\x02et" + b"b.",
     "unsafe", "build:numpy.core.multiarray._reconstruct", "crashes",
     "object array state with shape (200,) but a list of 2: numpy reads past the list "
     "(only default-list imports: an allowlist alone does not make it safe)", needs="numpy")
case("truncated_binunicode", b"\x80\x04X\xff\x00\x00\x00ab", "unsafe", "truncated", "fails",
     "BINUNICODE claims 255 bytes, 2 present")
case("persid_binpersid", proto(2) + binint1(1) + TUPLE1 + b"Q.", "unsafe", "persid", "fails",
     "BINPERSID in a raw pickle (plain pickle.load has no persistent_load)")
case("persid_before_payload", b"Pabc\n" + payload_p0("persid_before_payload"), "unsafe",
     "persid " + F, "fails",
     "PERSID makes CPython stop, but the payload behind it is still reported")
case("payload_then_garbage", call_p0("payload_then_garbage") + b"\xff\xfe", "unsafe",
     "import opcode", "runs", "payload call runs before CPython hits the unknown opcode 0xff")
case("trailing_garbage", pickle.dumps([1, 2], 4) + b"\xff\xffjunk", "unsafe", "trailing",
     "loads", "bytes after STOP that are not a pickle (pickle.load ignores them)")
case("concatenated_clean", pickle.dumps([1, 2], 2) + pickle.dumps({"a": (1, 2)}, 4), "safe",
     "", "loads", "two clean pickles back to back", loader="load-all")
case("concatenated_payload", pickle.dumps([1, 2], 4) + payload_p4("concatenated_payload"),
     "unsafe", F, "runs", "clean pickle followed by a payload pickle; load() again runs it",
     loader="load-all")
case("empty_file", b"", "not-pickle", "", "fails", "empty file")
case("text_file", b"labels\ncat\ndog\n", "not-pickle", "", "fails",
     "a text file: 'l' is LIST, which finds no MARK")
case("global_invalid_utf8", b"c\xff\xfe\nx\n.", "not-pickle", "", "fails",
     "GLOBAL module line is not UTF-8, CPython fails before importing")
case("underflow_reduce", b"\x80\x02R.", "unsafe", "underflow", "fails",
     "REDUCE on an empty stack")
case("odd_setitems", proto(2) + b"}(" + binint1(1) + b"u.", "unsafe", "malformed", "fails",
     "SETITEMS with an odd number of items")
case("unquoted_string", proto(2) + b"Sabc\n.", "unsafe", "malformed", "fails",
     "STRING argument without quotes")
case("oob_buffer", b"\x80\x05\x97.", "unsafe", "buffer", "fails",
     "NEXT_BUFFER with no out-of-band buffers given")

# ---- calls, builds, mutation ----
case("build_on_global",
     proto(2) + glob("collections", "OrderedDict") + b"N}" + bu("pgtest_attr") + binint1(1)
     + b"s" + TUPLE2 + BUILD + STOP,
     "unsafe", "build:collections.OrderedDict", "fails",
     "BUILD with slot state on the class itself would set a class attribute "
     "(CPython refuses: OrderedDict is an immutable type)")
case("build_dunder_state",
     proto(2) + glob("collections", "OrderedDict") + b")R}" + bu("__setstate__")
     + glob("pgtest_marker", "fire") + b"s" + BUILD + bu("build_dunder_state") + BUILD + STOP,
     "unsafe", F + " build", "runs",
     "BUILD puts __setstate__ = fire in the instance dict; the next BUILD calls it")
# numpy's scalar() makes a numpy.str_, a str subclass: as a dict key it
# names the same attribute as the plain str, and no constant says so
STR_SETSTATE = (glob("numpy.core.multiarray", "scalar") + glob("numpy", "dtype") + bu("U12")
                + b"\x89\x88\x87R" + b"C\x30" + "__setstate__".encode("utf-32-le")
                + b"\x86R")
case("build_strsub_dunder_state",
     proto(4) + glob("collections", "OrderedDict") + b")R}" + STR_SETSTATE
     + glob("pgtest_marker", "fire") + b"s" + BUILD + bu("build_strsub_dunder_state") + BUILD
     + STOP,
     "unsafe", "build", "runs",
     "as build_dunder_state, the key a numpy.str_ made by numpy.core.multiarray.scalar: even "
     "with fire allowed, a BUILD state key that is not a constant str may name __setstate__",
     allow="pgtest_marker.fire", needs="numpy")
case("mutate_global_appends",
     proto(2) + glob("builtins", "list") + MARK + binint1(1) + b"e" + STOP,
     "unsafe", "mutate:builtins.list", "fails", "APPENDS onto the imported class builtins.list")
case("call_object",
     proto(2) + glob("builtins", "str") + bu("x") + TUPLE1 + REDUCE + b")" + REDUCE + STOP,
     "unsafe", "call", "fails", "REDUCE calls a value (the str 'x'), not an import")
case("reconstructor_str_cls",
     proto(2) + glob("copyreg", "_reconstructor") + bu("abc") + glob("builtins", "object")
     + b"N" + TUPLE3 + REDUCE + STOP,
     "unsafe", "call:copyreg._reconstructor", "fails",
     "copyreg._reconstructor's cls argument is a str, not an import")
case("codecs_rot13",
     proto(2) + glob("_codecs", "encode") + bu("abc") + bu("rot13") + TUPLE2 + REDUCE + STOP,
     "unsafe", "call:_codecs.encode", "loads",
     "_codecs.encode with a codec other than latin1 (rot13 looks up an arbitrary codec)")
case("defaultdict_object_factory",
     proto(2) + glob("collections", "defaultdict") + glob("builtins", "str") + bu("x") + TUPLE1
     + REDUCE + TUPLE1 + REDUCE + STOP,
     "unsafe", "call:collections.defaultdict", "fails",
     "defaultdict factory is a value (str 'x'), not an import; CPython: not callable")

# ---- nested pickles ----
case("nested_binbytes_payload", nest_loads(payload_p0("nested_binbytes_payload")), "unsafe", F,
     "runs", "pickle.loads of a BINBYTES constant holding a payload pickle",
     allow="pickle.loads")
case("nested_codecs_latin1_payload",
     proto(2) + glob("pickle", "loads") + glob("_codecs", "encode")
     + bu(payload_p2("nested_codecs_latin1_payload").decode("latin-1")) + bu("latin1")
     + TUPLE2 + REDUCE + TUPLE1 + REDUCE + STOP,
     "unsafe", F, "runs",
     "protocol 2 bytes: pickle.loads(_codecs.encode(str, 'latin1')) of a payload pickle",
     allow="pickle.loads")
case("nested_nonconst",
     proto(2) + glob("pickle", "loads") + bytes_from_ints(payload_p0("nested_nonconst"))
     + TUPLE1 + REDUCE + STOP,
     "unsafe", "nested", "runs",
     "pickle.loads of bytes computed by builtins.bytes([ints]): not a constant to scan",
     allow="pickle.loads")
case("nested_not_pickle", nest_loads(b"not a pickle at all"), "unsafe", "nested", "fails",
     "pickle.loads of a constant that is not a pickle", allow="pickle.loads")
case("nested_too_deep", nested_deep("nested_too_deep"), "unsafe", "limit", "runs",
     "pickle.loads nested 6 levels deep (max_depth 4), innermost a payload",
     allow="pickle.loads")
case("nested_clean", nest_loads(pickle.dumps([1, 2], 4)), "safe", "", "loads",
     "pickle.loads of a clean constant pickle", allow="pickle.loads", imports="pickle.loads")

# ---- limits ----
case("marks_limit", proto(2) + MARK * 70000 + b"N.", "unsafe", "limit", "loads",
     "70000 open MARKs (max_marks 65536)")
case("billion_laughs", billion_laughs(), "unsafe", "limit", "loads",
     "45 levels of lists of 10 shared references: 10^45 nominal values (max_expansion 2^40)")

# ---- safe ----
for p in range(6):
    data = pickle.dumps(CLEAN_BUILTINS, protocol=p)
    case("clean_builtins_p%d" % p, data, "safe", "", "loads",
         "pickle.dumps of built-in scalars and containers at protocol %d" % p,
         imports=resolved_imports(data))
for p in (2, 4):
    data = pickle.dumps(clean_collections(), protocol=p)
    case("clean_collections_p%d" % p, data, "safe", "", "loads",
         "pickle.dumps of OrderedDict, defaultdict(list), Counter, deque at protocol %d" % p,
         imports=resolved_imports(data))

# ---------------------------------------------------------------- output --


def expect_text(c):
    lines = ["# generated by tests/pickles/gen_cases.py; edit that, not this file",
             "note: " + c["note"],
             "verdict: " + c["verdict"],
             "reasons: " + c["reasons"] if c["reasons"] else "reasons:"]
    if c["imports"] is not None:
        lines.append("imports: " + c["imports"] if c["imports"] else "imports:")
    if c["allow"]:
        lines.append("allow: " + c["allow"])
    lines.append("loader: " + c["loader"])
    lines.append("cpython: " + c["cpython"])
    if c.get("needs"):
        lines.append("needs: " + c["needs"])
    if c["ext"]:
        lines.append("ext-register: " + c["ext"])
    return "\n".join(lines) + "\n"


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    names = set()
    for c in CASES:
        assert c["name"] not in names, c["name"]
        assert "\n" not in c["note"], c["name"]
        names.add(c["name"])
        write(os.path.join(OUT, c["name"] + ".pkl"), c["data"])
        write(os.path.join(OUT, c["name"] + ".expect"), expect_text(c).encode("utf-8"))
    for f in sorted(os.listdir(OUT)):
        stem, ext = os.path.splitext(f)
        if ext in (".pkl", ".expect") and stem not in names:
            os.remove(os.path.join(OUT, f))
    print("gen_cases: wrote %d cases to %s" % (len(CASES), os.path.relpath(OUT)))


if __name__ == "__main__":
    main()
