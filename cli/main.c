/*
 * main.c: the `pickleguard` command: dispatch to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"usage: pickleguard COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  scan PATH...    scan model files offline (pickleguard scan --help)\n"
	"  status          the running pickleguardd's mode, mounts and counters\n"
	"  reload          make pickleguardd read its configuration again\n"
	"  version         print the version\n";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "scan"))
		return pg_cmd_scan(argc - 1, argv + 1);
	if (!strcmp(argv[1], "status") || !strcmp(argv[1], "reload"))
		return pg_cmd_ctl(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("pickleguard %s\n", PG_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	fprintf(stderr, "pickleguard: unknown command '%s'\n%s", argv[1], usage);
	return 2;
}
