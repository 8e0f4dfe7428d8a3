/* cli.h: the subcommands of the `pickleguard` command. */
#ifndef PG_CLI_H
#define PG_CLI_H

#include <getopt.h>
#include <stdbool.h>

#define PG_VERSION "0.1.0"

extern const struct option pg_scan_options[];

int pg_cmd_scan(int argc, char **argv);
/* status and reload: argv[0] names which */
int pg_cmd_ctl(int argc, char **argv);

#endif
