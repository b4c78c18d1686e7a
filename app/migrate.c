/* migrate.c - apply db/migrations/NNN_name.sql files once each. */
#include "migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "clock.h"
#include "db.h"
#include "msg.h"
#include "util.h"

/* Print the catalog sentence key (name, value pairs, NULL) and a newline
 * to out. */
static void say(FILE *out, const char *key, ...) __attribute__((sentinel));
static void say(FILE *out, const char *key, ...)
{
	struct buf b = { 0 };
	va_list ap;

	va_start(ap, key);
	msg_vfmt(&b, key, ap);
	va_end(ap);
	fprintf(out, "%s\n", buf_cstr(&b));
	buf_free(&b);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run each statement of a file. A statement ends where a line ends with
 * the delimiter (";" unless a "DELIMITER x" line changed it, as in the
 * mariadb client, for triggers whose bodies hold ";"). "--" lines are
 * comments. Returns 0 or -1. */
static int run_script(struct db *db, const char *path, FILE *out)
{
	struct buf sql = { 0 }, stmt = { 0 }, err = { 0 };
	char delim[16] = ";";
	size_t i, dlen = 1;
	int rc = 0;

	if (buf_read_file(&sql, path, 0) != 0) {
		say(out, "migrate.unreadable", "path", path, "detail", strerror(errno), NULL);
		buf_free(&sql);
		return -1;
	}
	for (i = 0; i < sql.len && rc == 0;) {
		size_t end = i;
		const char *line;
		size_t len;

		while (end < sql.len && sql.data[end] != '\n')
			end++;
		line = sql.data + i;
		len = end - i;
		i = end + 1;
		while (len > 0 && isspace((unsigned char)line[len - 1]))
			len--;
		{
			/* A comment line, indented or not, is dropped whole:
			 * its text may end with the delimiter. */
			size_t k = 0;
			while (k < len && isspace((unsigned char)line[k]))
				k++;
			if (len - k >= 2 && line[k] == '-' && line[k + 1] == '-')
				continue;
		}
		if (len > 10 && strncasecmp(line, "DELIMITER ", 10) == 0 &&
		    len - 10 < sizeof(delim)) {
			memcpy(delim, line + 10, len - 10);
			delim[len - 10] = '\0';
			dlen = len - 10;
			continue;
		}
		if (len >= dlen && memcmp(line + len - dlen, delim, dlen) == 0) {
			buf_append(&stmt, line, len - dlen);
			if (db_exec_raw(db, stmt.data, &err) != DB_OK) {
				say(out, "migrate.failed", "path", path, "detail",
				    buf_cstr(&err), "statement", stmt.data, NULL);
				rc = -1;
			}
			buf_reset(&stmt);
		} else {
			buf_append(&stmt, line, len);
			buf_putc(&stmt, '\n');
		}
	}
	buf_free(&sql);
	buf_free(&stmt);
	buf_free(&err);
	return rc;
}

int migrate_run(struct db *db, const char *dir, FILE *out)
{
	static const char lock[] = "SELECT GET_LOCK('pm_migrate', 60)";
	static const char unlock[] = "SELECT RELEASE_LOCK('pm_migrate')";
	static const char applied[] =
	    "SELECT 1 FROM schema_migrations WHERE version = ?";
	static const char record[] = "INSERT INTO schema_migrations"
	    " (version, name, applied_at) VALUES (?, ?, ?)";
	struct buf err = { 0 };
	struct db_res res;
	struct dirent *de;
	char **names = NULL, path[1024];
	size_t nnames = 0, i;
	int count = 0, rc = 0;
	DIR *d;

	if (db_exec_raw(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL,"
	    " applied_at BIGINT NOT NULL) ENGINE=InnoDB", &err) != DB_OK) {
		say(out, "migrate.no_table", "detail", buf_cstr(&err), NULL);
		buf_free(&err);
		return -1;
	}
	if (db_query(db, lock, DB_NOARGS, &res) != 1 ||
	    db_int(&res, 0, 0) != 1) {
		db_res_free(&res);
		say(out, "migrate.no_lock", NULL);
		return -1;
	}
	db_res_free(&res);
	if ((d = opendir(dir)) == NULL) {
		say(out, "migrate.no_dir", "path", dir, "detail", strerror(errno), NULL);
		rc = -1;
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len > 8 && isdigit((unsigned char)de->d_name[0]) &&
		    isdigit((unsigned char)de->d_name[1]) &&
		    isdigit((unsigned char)de->d_name[2]) && de->d_name[3] == '_' &&
		    strcmp(de->d_name + len - 4, ".sql") == 0) {
			names = xrealloc(names, (nnames + 1) * sizeof(*names));
			names[nnames++] = xstrdup(de->d_name);
		}
	}
	closedir(d);
	qsort(names, nnames, sizeof(*names), name_cmp);
	for (i = 0; i < nnames && rc == 0; i++) {
		int version = atoi(names[i]);
		int64_t n = db_query(db, applied, DB_ARGS(db_i(version)), &res);

		db_res_free(&res);
		if (n < 0) {
			say(out, "migrate.unreadable_table", NULL);
			rc = -1;
			break;
		}
		if (n > 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		say(out, "migrate.applying", "name", names[i], NULL);
		if (run_script(db, path, out) != 0 ||
		    db_exec(db, record, DB_ARGS(db_i(version), db_s(names[i]),
		    db_i(clock_now()))) < 0) {
			rc = -1;
			break;
		}
		count++;
	}
out:
	(void)db_query(db, unlock, DB_NOARGS, &res);
	db_res_free(&res);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	buf_free(&err);
	return rc == 0 ? count : -1;
}
