/*
 * opcodes.h: the pickle opcode table, one X-macro row per opcode:
 * X(byte, NAME, argument kind as pickletools names it, protocol).
 * It drives the emulator's names in reasons, the "unknown opcode" check and
 * a unit test that compares it with pickletools.opcodes.
 */
#ifndef PG_OPCODES_H
#define PG_OPCODES_H

#define PG_OPCODES(X)                                                          \
	X(0x49, INT, "decimalnl_short", 0)                                     \
	X(0x4a, BININT, "int4", 1)                                             \
	X(0x4b, BININT1, "uint1", 1)                                           \
	X(0x4d, BININT2, "uint2", 1)                                           \
	X(0x4c, LONG, "decimalnl_long", 0)                                     \
	X(0x8a, LONG1, "long1", 2)                                             \
	X(0x8b, LONG4, "long4", 2)                                             \
	X(0x53, STRING, "stringnl", 0)                                         \
	X(0x54, BINSTRING, "string4", 1)                                       \
	X(0x55, SHORT_BINSTRING, "string1", 1)                                 \
	X(0x42, BINBYTES, "bytes4", 3)                                         \
	X(0x43, SHORT_BINBYTES, "bytes1", 3)                                   \
	X(0x8e, BINBYTES8, "bytes8", 4)                                        \
	X(0x96, BYTEARRAY8, "bytearray8", 5)                                   \
	X(0x97, NEXT_BUFFER, NULL, 5)                                          \
	X(0x98, READONLY_BUFFER, NULL, 5)                                      \
	X(0x4e, NONE, NULL, 0)                                                 \
	X(0x88, NEWTRUE, NULL, 2)                                              \
	X(0x89, NEWFALSE, NULL, 2)                                             \
	X(0x56, UNICODE, "unicodestringnl", 0)                                 \
	X(0x8c, SHORT_BINUNICODE, "unicodestring1", 4)                         \
	X(0x58, BINUNICODE, "unicodestring4", 1)                               \
	X(0x8d, BINUNICODE8, "unicodestring8", 4)                              \
	X(0x46, FLOAT, "floatnl", 0)                                           \
	X(0x47, BINFLOAT, "float8", 1)                                         \
	X(0x5d, EMPTY_LIST, NULL, 1)                                           \
	X(0x61, APPEND, NULL, 0)                                               \
	X(0x65, APPENDS, NULL, 1)                                              \
	X(0x6c, LIST, NULL, 0)                                                 \
	X(0x29, EMPTY_TUPLE, NULL, 1)                                          \
	X(0x74, TUPLE, NULL, 0)                                                \
	X(0x85, TUPLE1, NULL, 2)                                               \
	X(0x86, TUPLE2, NULL, 2)                                               \
	X(0x87, TUPLE3, NULL, 2)                                               \
	X(0x7d, EMPTY_DICT, NULL, 1)                                           \
	X(0x64, DICT, NULL, 0)                                                 \
	X(0x73, SETITEM, NULL, 0)                                              \
	X(0x75, SETITEMS, NULL, 1)                                             \
	X(0x8f, EMPTY_SET, NULL, 4)                                            \
	X(0x90, ADDITEMS, NULL, 4)                                             \
	X(0x91, FROZENSET, NULL, 4)                                            \
	X(0x30, POP, NULL, 0)                                                  \
	X(0x32, DUP, NULL, 0)                                                  \
	X(0x28, MARK, NULL, 0)                                                 \
	X(0x31, POP_MARK, NULL, 1)                                             \
	X(0x67, GET, "decimalnl_short", 0)                                     \
	X(0x68, BINGET, "uint1", 1)                                            \
	X(0x6a, LONG_BINGET, "uint4", 1)                                       \
	X(0x70, PUT, "decimalnl_short", 0)                                     \
	X(0x71, BINPUT, "uint1", 1)                                            \
	X(0x72, LONG_BINPUT, "uint4", 1)                                       \
	X(0x94, MEMOIZE, NULL, 4)                                              \
	X(0x82, EXT1, "uint1", 2)                                              \
	X(0x83, EXT2, "uint2", 2)                                              \
	X(0x84, EXT4, "int4", 2)                                               \
	X(0x63, GLOBAL, "stringnl_noescape_pair", 0)                           \
	X(0x93, STACK_GLOBAL, NULL, 4)                                         \
	X(0x52, REDUCE, NULL, 0)                                               \
	X(0x62, BUILD, NULL, 0)                                                \
	X(0x69, INST, "stringnl_noescape_pair", 0)                             \
	X(0x6f, OBJ, NULL, 1)                                                  \
	X(0x81, NEWOBJ, NULL, 2)                                               \
	X(0x92, NEWOBJ_EX, NULL, 4)                                            \
	X(0x80, PROTO, "uint1", 2)                                             \
	X(0x2e, STOP, NULL, 0)                                                 \
	X(0x95, FRAME, "uint8", 4)                                             \
	X(0x50, PERSID, "stringnl_noescape", 0)                                \
	X(0x51, BINPERSID, NULL, 1)

enum pg_opcode {
#define PG_OPCODE_ENUM(code, name, arg, proto) OP_##name = code,
	PG_OPCODES(PG_OPCODE_ENUM)
#undef PG_OPCODE_ENUM
};

struct pg_opcode_info {
	unsigned char code;
	const char *name;
	const char *arg; /* pickletools argument descriptor name, or NULL */
	int proto;
};

/* The table, in pickletools order, and its length. */
extern const struct pg_opcode_info pg_opcode_table[];
extern const unsigned pg_opcode_count;

/* Name of an opcode byte, or NULL when it is not an opcode. */
const char *pg_opcode_name(unsigned char code);

#endif
