/* db.h - MariaDB access: prepared statements only, connections lent from a
 * small pool per process.
 *
 * Connections: a process opens a pool (db_pool_open) of db_pool_size
 * connections; each thread works through its own handle (db_handle), which
 * takes a connection of the pool on its first statement and keeps it
 * until db_release(): at the end of a request, and before anything that
 * waits long (a model's answer), so that a waiting request holds no
 * connection. A transaction (db_tx) keeps its connection to the end. When
 * every connection is lent, a statement waits up to 10 s for one, then
 * fails with DB_DOWN. pm-admin uses db_open(): a handle with a pool of
 * one.
 *
 * Error convention of this layer: functions return a value >= 0 on success
 * and a negative enum db_err on failure. A lost connection (server restarted,
 * killed, timed out) is detected here and only here: the connection is
 * closed, re-opened, statements re-prepared and the call retried up to
 * db_retries times; inside a transaction the whole transaction is retried by
 * db_tx() instead. A statement other than a SELECT whose connection was
 * lost after the server received it may have been applied, so it is not
 * sent again: the caller sees DB_DOWN. Otherwise callers see DB_DOWN only
 * when the server stays away.
 *
 * Statements are cached per connection, keyed by the address of the SQL
 * string, so pass string literals (or other stable strings).
 */
#ifndef PM_DB_H
#define PM_DB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"

enum db_err {
	DB_OK = 0,
	DB_DOWN = -1,		/* server unreachable: answer 503 */
	DB_DUP = -2,		/* unique key violated */
	DB_RETRY = -3,		/* deadlock or lock wait timeout */
	DB_CHECK = -4,		/* CHECK or foreign key constraint failed */
	DB_ERROR = -5,		/* anything else (bad SQL, data too long ...) */
	DB_REFUSED = -6		/* a trigger refused the row (SIGNAL 45000) */
};

enum dbv_type { DBV_NULL, DBV_INT, DBV_STR, DBV_DOUBLE };

/* One statement parameter. Build them with db_i(), db_s(), db_sn(),
 * db_null(), db_d(). String parameters are not copied. */
struct dbv {
	enum dbv_type	 t;
	int64_t		 i;
	double		 d;
	const char	*s;
	unsigned long	 len;
};

static inline struct dbv db_i(int64_t v)
{
	struct dbv x = { DBV_INT, v, 0, NULL, 0 };
	return x;
}
static inline struct dbv db_d(double v)
{
	struct dbv x = { DBV_DOUBLE, 0, v, NULL, 0 };
	return x;
}
static inline struct dbv db_sn(const char *s, size_t n)
{
	struct dbv x = { DBV_STR, 0, 0, s, (unsigned long)n };
	return x;
}
/* A string parameter; NULL becomes SQL NULL. */
static inline struct dbv db_s(const char *s)
{
	struct dbv x = { s ? DBV_STR : DBV_NULL, 0, 0, s,
	    s ? (unsigned long)strlen(s) : 0 };
	return x;
}
static inline struct dbv db_null(void)
{
	struct dbv x = { DBV_NULL, 0, 0, NULL, 0 };
	return x;
}

/* Pass a parameter list: db_exec(db, SQL, DB_ARGS(db_s(a), db_i(b))). */
#define DB_ARGS(...) (const struct dbv[]){ __VA_ARGS__ }, \
	(sizeof((const struct dbv[]){ __VA_ARGS__ }) / sizeof(struct dbv))
#define DB_NOARGS NULL, 0

/* A fully fetched result set. Cells are NUL-terminated copies; a SQL NULL
 * cell is a NULL pointer. */
struct db_res {
	size_t	  nrows;
	size_t	  ncols;
	char	**cells;	/* nrows * ncols */
	unsigned long *lens;
};

struct db;
struct db_pool;

/* Create a pool of size connections from the configuration (reads the
 * password file). Does not connect: the first statement on each does.
 * Returns NULL with a message in err when the password file cannot be
 * read. Thread-safe once made. */
struct db_pool *db_pool_open(size_t size, struct buf *err);
/* Transactions on p's connections run at READ COMMITTED (no gap locks):
 * for a queue's claimers, whose locking reads of a range would otherwise
 * lock the gaps that finished items move into. Call before p's first
 * statement. */
void db_pool_read_committed(struct db_pool *p);
/* Close every connection of p and free it; no handle may use it any more.
 * Accepts NULL. */
void db_pool_close(struct db_pool *p);
/* A new handle on p for one thread (caller frees with db_close). */
struct db *db_handle(struct db_pool *p);
/* Give the handle's connection back to its pool, unless a transaction is
 * open. Accepts NULL and a handle that holds none. A connection the server
 * says is still inside a transaction (a bug) is rolled back first, and
 * the log says which statements left it so. */
void db_release(struct db *db);
/* A handle with a pool of one connection of its own (pm-admin). Returns
 * NULL with a message in err when the password file cannot be read. */
struct db *db_open(struct buf *err);
/* Release the handle's connection and free it (and its pool when it was
 * made by db_open). Accepts NULL. */
void db_close(struct db *db);
/* Run a statement that returns no rows. Returns the number of matched rows
 * (>= 0) or a negative enum db_err. */
int64_t db_exec(struct db *db, const char *sql, const struct dbv *args,
    size_t nargs);
/* Run a statement and fetch all its rows into res (which the caller frees
 * with db_res_free, also after an error). Returns the number of rows or a
 * negative enum db_err. */
int64_t db_query(struct db *db, const char *sql, const struct dbv *args,
    size_t nargs, struct db_res *res);
/* The AUTO_INCREMENT id generated by the last INSERT (on the connection
 * the handle still holds). */
int64_t db_insert_id(struct db *db);
/* Release the rows of res; accepts an empty or already freed result. */
void db_res_free(struct db_res *res);
/* The text of a cell, or NULL for SQL NULL or out-of-range indexes. */
const char *db_str(const struct db_res *res, size_t row, size_t col);
/* The byte length of a cell (0 for NULL). */
size_t db_len(const struct db_res *res, size_t row, size_t col);
/* A cell parsed as an integer, or 0 for NULL or non-numbers. */
int64_t db_int(const struct db_res *res, size_t row, size_t col);

typedef int (*db_tx_fn)(struct db *db, void *arg);
/* Run fn inside a transaction: COMMIT when it returns 0, ROLLBACK
 * otherwise. A deadlock (DB_RETRY) or a connection lost before COMMIT runs
 * the whole function again, up to 3 times, so fn must only change state
 * through the database. Called inside a transaction (a bug, logged), fn
 * joins the one open. Returns 0, fn's non-zero result, or a negative enum
 * db_err. */
int db_tx(struct db *db, db_tx_fn fn, void *arg);
/* Check the server answers (SELECT 1). Returns DB_OK or DB_DOWN. */
int db_ping(struct db *db);
/* Run a statement that cannot be prepared (migrations' DDL), without
 * values. Returns DB_OK or a negative enum db_err; err gets the server's
 * message. */
int db_exec_raw(struct db *db, const char *sql, struct buf *err);
/* Name of an error code, for logs. */
const char *db_strerror(int code);

#endif
