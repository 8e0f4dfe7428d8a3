/*
 * scan_cmd.c: `pickleguard scan`, the offline scanner for pipelines.
 * Builds the allowlist from the options, walks the paths (directories
 * recursively, in name order, symlinked directories not followed), scans
 * every regular file and prints one line per file.  Exit status: 0 when
 * nothing is unsafe, 1 when anything is unsafe, 2 on usage or read errors
 * (unsafe wins over error).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fdreader.h"
#include "pg_scan.h"
#include "policy.h"
#include "report_text.h"
#include "strbuf.h"

struct scan_run {
	bool json;
	struct pg_scan_config cfg;
	size_t files, unsafe, errors;
	struct pg_strbuf line;
};

static const char scan_usage[] =
	"usage: pickleguard scan [--json] [--profile NAME]... [--allow FILE]...\n"
	"                        [--allow-import MODULE.NAME]... PATH...\n"
	"\n"
	"Scan model files for pickles that import anything outside the allowlist.\n"
	"Directories are walked recursively.  One line per file: safe, unsafe,\n"
	"not-pickle or error.  Exit 0: nothing unsafe; 1: something unsafe;\n"
	"2: usage or read error and nothing unsafe.\n"
	"\n"
	"  --json               JSON Lines: path, verdict, format, reasons, imports,\n"
	"                       bytes_read, scan_us\n"
	"  --profile NAME       add a built-in allowlist profile ('all' for every one)\n"
	"  --allow FILE         add the imports listed in FILE (module.name per line)\n"
	"  --allow-import M.N   add one import\n";

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void emit(struct scan_run *run)
{
	if (run->line.oom) {
		fprintf(stderr, "pickleguard: out of memory formatting a result\n");
		run->errors++;
	} else {
		fwrite(run->line.ptr, 1, run->line.len, stdout);
	}
	pg_sb_reset(&run->line);
	run->line.oom = false;
}

/* A file we could not scan: its own line, verdict error. */
static void report_error(struct scan_run *run, const char *path, int err,
			 const char *what)
{
	struct pg_strbuf *sb = &run->line;

	run->files++;
	run->errors++;
	if (run->json) {
		pg_sb_puts(sb, "{\"path\":");
		pg_sb_json_str(sb, path);
		pg_sb_puts(sb, ",\"verdict\":\"error\",\"format\":null,\"reasons\":"
			       "[{\"kind\":\"read\",\"module\":null,\"name\":null,"
			       "\"offset\":0,\"member\":null,\"detail\":");
		pg_sb_printf(sb, "\"%s: %s\"}],\"imports\":[],\"bytes_read\":0,"
				 "\"scan_us\":0,\"error\":",
			     what, strerror(err));
		pg_sb_json_str(sb, strerror(err));
		pg_sb_puts(sb, "}\n");
	} else {
		pg_sb_text_bytes(sb, path, strlen(path));
		pg_sb_printf(sb, ": error (%s: %s)\n", what, strerror(err));
	}
	emit(run);
}

static void scan_fd(struct scan_run *run, const char *path, int fd,
		    uint64_t size)
{
	struct pg_fd_source src;
	struct pg_reader rd;
	struct pg_report rep;
	struct pg_strbuf *sb = &run->line;
	uint64_t t0 = now_us(), us;
	int rc;

	pg_reader_from_fd(&rd, &src, fd, size);
	rc = pg_scan(&rd, &run->cfg, &rep);
	us = now_us() - t0;
	if (rc) {
		pg_report_free(&rep);
		report_error(run, path, -rc, "scan failed");
		return;
	}
	run->files++;
	if (rep.verdict == PG_VERDICT_UNSAFE)
		run->unsafe++;
	else if (rep.verdict == PG_VERDICT_ERROR)
		run->errors++;
	if (run->json) {
		pg_sb_puts(sb, "{\"path\":");
		pg_sb_json_str(sb, path);
		pg_sb_puts(sb, ",");
		pg_report_json(sb, &rep);
		pg_sb_printf(sb, ",\"scan_us\":%" PRIu64 "}\n", us);
	} else {
		pg_sb_text_bytes(sb, path, strlen(path));
		pg_sb_puts(sb, ": ");
		pg_report_summary(sb, &rep);
		pg_sb_puts(sb, "\n");
	}
	pg_report_free(&rep);
	emit(run);
}

static void scan_path(struct scan_run *run, int dirfd, const char *name,
		      const char *path, bool top);

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_dir(struct scan_run *run, int fd, const char *path)
{
	DIR *d = fdopendir(fd);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!d) {
		report_error(run, path, errno, "cannot read directory");
		close(fd);
		return;
	}
	errno = 0;
	while ((de = readdir(d))) {
		char **grown;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(names, cap * sizeof(*names));
			if (!grown)
				break;
			names = grown;
		}
		if (!(names[n] = strdup(de->d_name)))
			break;
		n++;
		errno = 0;
	}
	if (errno)
		report_error(run, path, errno, "cannot list directory");
	qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		size_t plen = strlen(path);
		char *child = malloc(plen + strlen(names[i]) + 2);

		if (child) {
			sprintf(child, "%s%s%s", path,
				plen && path[plen - 1] == '/' ? "" : "/", names[i]);
			scan_path(run, dirfd(d), names[i], child, false);
		} else {
			report_error(run, path, ENOMEM, "cannot walk directory");
		}
		free(child);
		free(names[i]);
	}
	free(names);
	closedir(d);
}

/*
 * One path: a named file or directory (top), or an entry met in a walk,
 * where symlinks to directories are not followed and special files are
 * skipped.
 */
static void scan_path(struct scan_run *run, int dirfd, const char *name,
		      const char *path, bool top)
{
	struct stat st;
	int fd;

	if (!top) {
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
			report_error(run, path, errno, "cannot stat");
			return;
		}
		if (S_ISLNK(st.st_mode) &&
		    (fstatat(dirfd, name, &st, 0) || !S_ISREG(st.st_mode)))
			return; /* dangling, or not a file: not followed */
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			return;
	}
	/* O_NONBLOCK: a FIFO named on the command line must not hang us */
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		report_error(run, path, errno, "cannot open");
		return;
	}
	if (fstat(fd, &st)) {
		report_error(run, path, errno, "cannot stat");
		close(fd);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		walk_dir(run, fd, path);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		if (top)
			report_error(run, path, EINVAL, "not a regular file");
		close(fd);
		return;
	}
	scan_fd(run, path, fd, (uint64_t)st.st_size);
	close(fd);
}

static char *slurp(const char *path, size_t *len, int *err)
{
	FILE *f = fopen(path, "rb");
	struct pg_strbuf sb = { 0 };
	char buf[65536];
	size_t n;

	if (!f) {
		*err = errno;
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)))
		pg_sb_add(&sb, buf, n);
	*err = ferror(f) ? EIO : sb.oom ? ENOMEM : 0;
	fclose(f);
	if (*err) {
		pg_sb_free(&sb);
		return NULL;
	}
	*len = sb.len;
	return sb.ptr ? sb.ptr : calloc(1, 1);
}

/* Build the allowlist from the options; 0, or 2 after saying why. */
static int build_allowlist(struct pg_allowlist *al, int argc, char **argv)
{
	char err[512];
	int opt, rc;

	rc = pg_policy_add(al, "default", err, sizeof(err));
	if (rc) {
		fprintf(stderr, "pickleguard: %s\n", err);
		return 2;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", pg_scan_options, NULL)) != -1) {
		switch (opt) {
		case 'p':
			rc = pg_policy_add(al, optarg, err, sizeof(err));
			break;
		case 'a': {
			size_t len;
			int ferr;
			char *text = slurp(optarg, &len, &ferr);

			if (!text) {
				fprintf(stderr, "pickleguard: --allow %s: %s\n", optarg,
					strerror(ferr));
				return 2;
			}
			rc = pg_allowlist_parse(al, text, len, optarg, err, sizeof(err));
			free(text);
			break;
		}
		case 'i':
			rc = pg_allowlist_add_spec(al, optarg, err, sizeof(err));
			if (rc == -EINVAL) {
				fprintf(stderr, "pickleguard: --allow-import %s\n", err);
				return 2;
			}
			break;
		default:
			rc = 0;
			break;
		}
		if (rc) {
			fprintf(stderr, "pickleguard: %s\n",
				rc == -ENOMEM ? "out of memory" : err);
			return 2;
		}
	}
	return 0;
}

const struct option pg_scan_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "profile", required_argument, NULL, 'p' },
	{ "allow", required_argument, NULL, 'a' },
	{ "allow-import", required_argument, NULL, 'i' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int pg_cmd_scan(int argc, char **argv)
{
	struct scan_run run = { 0 };
	struct pg_allowlist *al;
	int opt, rc;

	opterr = 1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", pg_scan_options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			run.json = true;
			break;
		case 'p':
		case 'a':
		case 'i':
			break;
		case 'h':
			fputs(scan_usage, stdout);
			return 0;
		default:
			fputs(scan_usage, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "pickleguard scan: no PATH given\n%s", scan_usage);
		return 2;
	}
	al = pg_allowlist_new();
	if (!al) {
		fprintf(stderr, "pickleguard: out of memory\n");
		return 2;
	}
	rc = build_allowlist(al, argc, argv);
	if (rc) {
		pg_allowlist_free(al);
		return rc;
	}
	pg_limits_default(&run.cfg.limits);
	run.cfg.allow = al;
	for (int i = optind; i < argc; i++)
		scan_path(&run, AT_FDCWD, argv[i], argv[i], true);
	fflush(stdout);
	pg_sb_free(&run.line);
	pg_allowlist_free(al);
	if (ferror(stdout)) {
		fprintf(stderr, "pickleguard: writing results: %s\n", strerror(errno));
		return 2;
	}
	return run.unsafe ? 1 : run.errors ? 2 : 0;
}
