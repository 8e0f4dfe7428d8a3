/*
 * limits.c: the default limits.  Each is sized so that real model files
 * (a 50,000-entry memo, 300-deep nesting, multi-GB checkpoints) scan well
 * inside it while a crafted file cannot make the scanner use more than
 * about max_alloc of memory or max_opcodes of time.
 */
#include "pg_scan.h"

void pg_limits_default(struct pg_limits *l)
{
	l->max_opcodes = 1000000000ULL;		/* ~20 s of the slowest opcodes */
	l->max_alloc = 512ULL << 20;		/* emulator memory */
	l->max_nested_bytes = 256ULL << 20;	/* a decoded nested pickle */
	l->max_expansion = 1ULL << 40;		/* ~1e12: no real model shares that much */
	l->max_decompressed = 1ULL << 30;	/* a compressed model, in memory */
	l->max_ratio = 1000;			/* deflate tops out near 1032:1 */
	l->max_members = 1u << 16;		/* archive entries */
	l->max_stack = 1u << 22;		/* 4 Mi values on the stack */
	l->max_memo = 1u << 23;			/* 8 Mi memo entries */
	l->max_marks = 1u << 16;		/* CPython recurses far less */
	l->max_depth = 4;			/* pickle in pickle in ... */
	l->max_streams = 1u << 20;		/* concatenated pickles */
	l->max_reasons = 64;
	l->max_line = 1u << 16;			/* a module or global name */
	l->read_chunk = 256u << 10;
}
