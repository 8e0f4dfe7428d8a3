/* cli.h: the subcommands of the `pickleguard` command. */
#ifndef PG_CLI_H
#define PG_CLI_H

#include <getopt.h>

#define PG_VERSION "0.1.0"

extern const struct option pg_scan_options[];

int pg_cmd_scan(int argc, char **argv);

#endif
