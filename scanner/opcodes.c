/* opcodes.c: the opcode table of opcodes.h as data. */
#include "opcodes.h"

#include <stddef.h>

const struct pg_opcode_info pg_opcode_table[] = {
#define PG_OPCODE_ROW(code, name, arg, proto) { code, #name, arg, proto },
	PG_OPCODES(PG_OPCODE_ROW)
#undef PG_OPCODE_ROW
};

const unsigned pg_opcode_count =
	sizeof(pg_opcode_table) / sizeof(pg_opcode_table[0]);

static const char *const names_by_byte[256] = {
#define PG_OPCODE_NAME(code, name, arg, proto) [code] = #name,
	PG_OPCODES(PG_OPCODE_NAME)
#undef PG_OPCODE_NAME
};

const char *pg_opcode_name(unsigned char code)
{
	return names_by_byte[code];
}
