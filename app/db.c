/* db.c - MariaDB prepared statements, reconnection and transactions. */
#include "db.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "util.h"

struct stmt_slot {
	const char	*sql;
	MYSQL_STMT	*st;
};

/* One MariaDB connection with its prepared statements. */
struct db_conn {
	MYSQL		*conn;
	struct stmt_slot *slots;	/* open-addressing table keyed by sql */
	size_t		 nslots;
	size_t		 used;
	struct db_conn	*next_free;
	const char	*tx_opened_by;	/* the statements of the transaction */
	const char	*last_sql;	/* open on the server, for the log */
	int		 tx_open;
};

/* The connections of a process, lent to handles. */
struct db_pool {
	pthread_mutex_t	 lock;
	pthread_cond_t	 freed;
	struct db_conn	*conns;
	struct db_conn	*free_list;
	size_t		 size;
	size_t		 lent;
	char		*password;
	int		 read_committed;	/* db_pool_read_committed() */
};

/* What one thread uses: the pool, and the connection it holds now. */
struct db {
	struct db_pool	*pool;
	struct db_conn	*c;		/* NULL: none held */
	int		 owns_pool;	/* db_open(): freed with the handle */
	int		 in_tx;
	int		 maybe_applied;	/* the last attempt was lost after
					 * the server got the statement */
};

/* How long a handle waits for a free connection before DB_DOWN. */
#define POOL_WAIT_MS	10000

static const char *err_names[] = {
	"ok", "database unavailable", "duplicate key", "deadlock",
	"constraint failed", "database error"
};

const char *db_strerror(int code)
{
	if (code > 0 || -code >= (int)NELEM(err_names))
		return "unknown";
	return err_names[-code];
}

static int lost_errno(unsigned e)
{
	switch (e) {
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_LOST_EXTENDED:
	case CR_COMMANDS_OUT_OF_SYNC:
	case ER_CONNECTION_KILLED:
	case ER_SERVER_SHUTDOWN:
	case 4031:	/* ER_CLIENT_INTERACTION_TIMEOUT */
		return 1;
	default:
		return 0;
	}
}

static int classify(unsigned e)
{
	if (lost_errno(e))
		return DB_DOWN;
	switch (e) {
	case ER_DUP_ENTRY:
		return DB_DUP;
	case ER_LOCK_DEADLOCK:
	case ER_LOCK_WAIT_TIMEOUT:
		return DB_RETRY;
	case ER_ROW_IS_REFERENCED_2:
	case ER_NO_REFERENCED_ROW_2:
	case 4025:	/* ER_CONSTRAINT_FAILED */
		return DB_CHECK;
	case ER_SIGNAL_EXCEPTION:
		return DB_REFUSED;
	default:
		return DB_ERROR;
	}
}

static void drop_statements(struct db_conn *c)
{
	size_t i;

	for (i = 0; i < c->nslots; i++)
		if (c->slots[i].st != NULL)
			mysql_stmt_close(c->slots[i].st);
	free(c->slots);
	c->slots = NULL;
	c->nslots = c->used = 0;
}

static void disconnect(struct db_conn *c)
{
	drop_statements(c);
	if (c->conn != NULL)
		mysql_close(c->conn);
	c->conn = NULL;
	c->tx_open = 0;
}

/* How long the server lets a transaction stand idle (a string, for SQL). */
#define DB_IDLE_TX_SECONDS	"30"

static int connect_db(struct db_conn *c, const struct db_pool *p)
{
	const char *password = p->password;
	unsigned int timeout = (unsigned int)cfg_int(CFG_DB_CONNECT_TIMEOUT);
	unsigned int rw_timeout = 120;
	my_bool off = 0;
	const char *sock = cfg_str(CFG_DB_SOCKET);
	MYSQL *m;

	if ((m = mysql_init(NULL)) == NULL)
		return DB_DOWN;
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rw_timeout);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout);
	mysql_options(m, MYSQL_OPT_RECONNECT, &off);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(m, MYSQL_INIT_COMMAND,
	    "SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,"
	    "NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION,ERROR_FOR_DIVISION_BY_ZERO'");
	/* No transaction here waits on anything but the database: one left
	 * idle with its locks (a bug) is ended by the server after a while,
	 * instead of stalling every statement that needs those rows. */
	mysql_options(m, MYSQL_INIT_COMMAND,
	    "SET SESSION idle_transaction_timeout = " DB_IDLE_TX_SECONDS);
	if (p->read_committed)
		mysql_options(m, MYSQL_INIT_COMMAND,
		    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
	if (mysql_real_connect(m, sock[0] ? NULL : cfg_str(CFG_DB_HOST),
	    cfg_str(CFG_DB_USER), password, cfg_str(CFG_DB_NAME),
	    (unsigned int)cfg_int(CFG_DB_PORT), sock[0] ? sock : NULL,
	    CLIENT_FOUND_ROWS) == NULL) {
		log_warn("db: connect failed: %s", mysql_error(m));
		mysql_close(m);
		return DB_DOWN;
	}
	c->conn = m;
	return DB_OK;
}

struct db_pool *db_pool_open(size_t size, struct buf *err)
{
	struct db_pool *p;
	const char *pwfile = cfg_str(CFG_DB_PASSWORD_FILE);
	size_t i;

	/* The client library's own start is not thread-safe: do it here,
	 * before the threads that will connect. */
	if (mysql_library_init(0, NULL, NULL) != 0) {
		buf_puts(err, "the MariaDB client library cannot start");
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	if (pwfile[0] != '\0' &&
	    (p->password = config_read_secret(pwfile, err)) == NULL) {
		free(p);
		return NULL;
	}
	if (size == 0)
		size = 1;
	p->size = size;
	p->conns = xcalloc(size, sizeof(*p->conns));
	for (i = size; i-- > 0;) {
		p->conns[i].next_free = p->free_list;
		p->free_list = &p->conns[i];
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->freed, NULL);
	return p;
}

void db_pool_read_committed(struct db_pool *p)
{
	p->read_committed = 1;
}

void db_pool_close(struct db_pool *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->size; i++)
		disconnect(&p->conns[i]);
	free(p->conns);
	if (p->password != NULL) {
		explicit_bzero(p->password, strlen(p->password));
		free(p->password);
	}
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->freed);
	free(p);
}

struct db *db_handle(struct db_pool *p)
{
	struct db *db = xcalloc(1, sizeof(*db));

	db->pool = p;
	return db;
}

struct db *db_open(struct buf *err)
{
	struct db_pool *p = db_pool_open(1, err);
	struct db *db;

	if (p == NULL)
		return NULL;
	db = db_handle(p);
	db->owns_pool = 1;
	return db;
}

void db_close(struct db *db)
{
	if (db == NULL)
		return;
	db->in_tx = 0;
	db_release(db);
	if (db->owns_pool)
		db_pool_close(db->pool);
	free(db);
}

/* Take a connection of the pool for db, waiting up to POOL_WAIT_MS for
 * one to be freed. Returns 0, or DB_DOWN when none came. */
static int hold(struct db *db)
{
	struct db_pool *p = db->pool;
	struct timespec until;
	int rc = 0;

	if (db->c != NULL)
		return 0;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += POOL_WAIT_MS / 1000;
	pthread_mutex_lock(&p->lock);
	while (p->free_list == NULL && rc == 0)
		rc = pthread_cond_timedwait(&p->freed, &p->lock, &until);
	if (p->free_list != NULL) {
		db->c = p->free_list;
		p->free_list = db->c->next_free;
		p->lent++;
		rc = 0;
	}
	pthread_mutex_unlock(&p->lock);
	if (db->c == NULL) {
		log_warn("db: every connection of the pool (%zu) stayed busy",
		    p->size);
		return DB_DOWN;
	}
	return 0;
}

/* A connection must come back to its pool outside any transaction: one
 * left open keeps its locks and hides its writes from every other
 * connection (a bug). Say so with the statements that opened it and
 * last ran in it, and end it. */
static void end_stray_transaction(struct db_conn *c)
{
	if (c->conn == NULL ||
	    !(c->conn->server_status & SERVER_STATUS_IN_TRANS))
		return;
	log_error("db: a connection came back to its pool inside a"
	    " transaction, rolled back (opened by: %.120s; last: %.120s)",
	    c->tx_opened_by ? c->tx_opened_by : "?",
	    c->last_sql ? c->last_sql : "?");
	if (mysql_rollback(c->conn) != 0)
		disconnect(c);
	c->tx_open = 0;
}

void db_release(struct db *db)
{
	struct db_pool *p;

	if (db == NULL || db->c == NULL)
		return;
	if (db->in_tx) {
		/* what follows would wait with the transaction's locks */
		log_error("db: a connection given back inside db_tx() (last: %.120s)",
		    db->c->last_sql ? db->c->last_sql : "?");
		return;
	}
	end_stray_transaction(db->c);
	p = db->pool;
	pthread_mutex_lock(&p->lock);
	db->c->next_free = p->free_list;
	p->free_list = db->c;
	p->lent--;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
	db->c = NULL;
}

static size_t slot_hash(const char *sql, size_t n)
{
	uintptr_t p = (uintptr_t)sql;

	return (size_t)((p >> 3) * 2654435761u) & (n - 1);
}

static struct stmt_slot *slot_find(struct db_conn *c, const char *sql)
{
	size_t i;

	if (c->used * 2 >= c->nslots) {
		struct stmt_slot *old = c->slots;
		size_t oldn = c->nslots, j;

		c->nslots = oldn ? oldn * 2 : 64;
		c->slots = xcalloc(c->nslots, sizeof(*c->slots));
		for (j = 0; j < oldn; j++) {
			if (old[j].sql == NULL)
				continue;
			i = slot_hash(old[j].sql, c->nslots);
			while (c->slots[i].sql != NULL)
				i = (i + 1) & (c->nslots - 1);
			c->slots[i] = old[j];
		}
		free(old);
	}
	i = slot_hash(sql, c->nslots);
	while (c->slots[i].sql != NULL && c->slots[i].sql != sql)
		i = (i + 1) & (c->nslots - 1);
	return &c->slots[i];
}

/* Return the prepared statement for sql, preparing it when needed. On
 * failure returns NULL and stores the error code in *rc. */
static MYSQL_STMT *statement(struct db_conn *c, const char *sql, int *rc)
{
	struct stmt_slot *s = slot_find(c, sql);
	my_bool on = 1;
	MYSQL_STMT *st;

	if (s->st != NULL)
		return s->st;
	if ((st = mysql_stmt_init(c->conn)) == NULL) {
		*rc = DB_DOWN;
		return NULL;
	}
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		unsigned e = mysql_stmt_errno(st);
		*rc = classify(e);
		if (*rc != DB_DOWN)
			log_error("db: prepare failed (%u %s): %s", e,
			    mysql_stmt_error(st), sql);
		mysql_stmt_close(st);
		return NULL;
	}
	mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
	if (s->sql == NULL)
		c->used++;
	s->sql = sql;
	s->st = st;
	return st;
}

/* Close the statement for sql, so that its next use prepares it anew. A
 * statement that failed after the server sent its columns (a locking read
 * that met a deadlock or timed out) is left by the client library waiting
 * for rows that never come: executed again, it would wait for them until
 * the read timeout, its transaction holding its locks. A failed execution
 * (a duplicate key, say) leaves the statement ready: it is kept. */
static void forget_statement(struct db_conn *c, const char *sql)
{
	struct stmt_slot *s = slot_find(c, sql);

	if (s->st != NULL) {
		mysql_stmt_close(s->st);
		s->st = NULL;
	}
}

static int fetch_rows(MYSQL_STMT *st, MYSQL_RES *meta, struct db_res *res)
{
	size_t ncols = mysql_num_fields(meta), cap = 0, c;
	MYSQL_FIELD *fields = mysql_fetch_fields(meta);
	MYSQL_BIND *b = xcalloc(ncols, sizeof(*b));
	unsigned long *lens = xcalloc(ncols, sizeof(*lens));
	my_bool *nulls = xcalloc(ncols, sizeof(*nulls));
	my_bool *errs = xcalloc(ncols, sizeof(*errs));
	char **bufs = xcalloc(ncols, sizeof(*bufs));
	int rc = DB_OK, f;

	res->ncols = ncols;
	for (c = 0; c < ncols; c++) {
		unsigned long n = fields[c].max_length;
		if (n < 64)
			n = 64;
		bufs[c] = xmalloc(n + 1);
		b[c].buffer_type = MYSQL_TYPE_STRING;
		b[c].buffer = bufs[c];
		b[c].buffer_length = n;
		b[c].length = &lens[c];
		b[c].is_null = &nulls[c];
		b[c].error = &errs[c];
	}
	if (mysql_stmt_bind_result(st, b) != 0) {
		rc = classify(mysql_stmt_errno(st));
		goto out;
	}
	while ((f = mysql_stmt_fetch(st)) == 0 || f == MYSQL_DATA_TRUNCATED) {
		size_t base;

		if (res->nrows == cap) {
			cap = cap ? cap * 2 : 16;
			res->cells = xrealloc(res->cells, cap * ncols * sizeof(char *));
			res->lens = xrealloc(res->lens, cap * ncols * sizeof(unsigned long));
		}
		base = res->nrows * ncols;
		for (c = 0; c < ncols; c++) {
			if (nulls[c]) {
				res->cells[base + c] = NULL;
				res->lens[base + c] = 0;
				continue;
			}
			if (lens[c] > b[c].buffer_length) {
				/* Longer than the buffer: fetch the column again. */
				MYSQL_BIND one;
				char *big = xmalloc(lens[c] + 1);

				memset(&one, 0, sizeof(one));
				one.buffer_type = MYSQL_TYPE_STRING;
				one.buffer = big;
				one.buffer_length = lens[c];
				if (mysql_stmt_fetch_column(st, &one, (unsigned)c, 0) != 0) {
					free(big);
					rc = DB_ERROR;
					res->nrows++;
					for (; c < ncols; c++)
						res->cells[base + c] = NULL;
					goto out;
				}
				big[lens[c]] = '\0';
				res->cells[base + c] = big;
			} else
				res->cells[base + c] = xstrndup(bufs[c], lens[c]);
			res->lens[base + c] = lens[c];
		}
		res->nrows++;
	}
	if (f == 1)
		rc = classify(mysql_stmt_errno(st));
out:
	for (c = 0; c < ncols; c++)
		free(bufs[c]);
	free(bufs);
	free(b);
	free(lens);
	free(nulls);
	free(errs);
	return rc;
}

/* One attempt: prepare (cached), bind, execute, fetch. Returns affected
 * rows or row count, or a negative enum db_err. */
static int64_t attempt(struct db *db, const char *sql, const struct dbv *args,
    size_t nargs, struct db_res *res)
{
	MYSQL_BIND stackbind[16], *b = stackbind;
	MYSQL_STMT *st;
	MYSQL_RES *meta = NULL;
	int64_t out = 0;
	int rc = DB_OK;
	size_t i;

	db->maybe_applied = 0;
	if (hold(db) != 0)
		return DB_DOWN;
	if (db->c->conn == NULL && connect_db(db->c, db->pool) != DB_OK)
		return DB_DOWN;
	if ((st = statement(db->c, sql, &rc)) == NULL)
		return rc;
	if (mysql_stmt_param_count(st) != nargs) {
		log_error("db: statement wants %lu parameters, got %zu: %s",
		    mysql_stmt_param_count(st), nargs, sql);
		return DB_ERROR;
	}
	if (nargs > NELEM(stackbind))
		b = xcalloc(nargs, sizeof(*b));
	else
		memset(stackbind, 0, sizeof(stackbind));
	for (i = 0; i < nargs; i++) {
		switch (args[i].t) {
		case DBV_NULL:
			b[i].buffer_type = MYSQL_TYPE_NULL;
			break;
		case DBV_INT:
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].buffer = (void *)&args[i].i;
			break;
		case DBV_DOUBLE:
			b[i].buffer_type = MYSQL_TYPE_DOUBLE;
			b[i].buffer = (void *)&args[i].d;
			break;
		case DBV_STR:
			b[i].buffer_type = MYSQL_TYPE_STRING;
			b[i].buffer = (void *)args[i].s;
			b[i].buffer_length = args[i].len;
			b[i].length = (unsigned long *)&args[i].len;
			break;
		}
	}
	if (nargs > 0 && mysql_stmt_bind_param(st, b) != 0) {
		rc = classify(mysql_stmt_errno(st));
		goto out;
	}
	if (mysql_stmt_execute(st) != 0) {
		unsigned e = mysql_stmt_errno(st);
		rc = classify(e);
		db->maybe_applied = e == CR_SERVER_LOST ||
		    e == CR_SERVER_LOST_EXTENDED;
		if (rc == DB_ERROR || rc == DB_CHECK)
			log_error("db: execute failed (%u %s): %s", e,
			    mysql_stmt_error(st), sql);
		goto out;
	}
	meta = mysql_stmt_result_metadata(st);
	if (meta != NULL) {
		if (mysql_stmt_store_result(st) != 0) {
			rc = classify(mysql_stmt_errno(st));
			goto out;
		}
		if (res != NULL)
			rc = fetch_rows(st, meta, res);
		out = res ? (int64_t)res->nrows : 0;
	} else
		out = (int64_t)mysql_stmt_affected_rows(st);
out:
	if (meta != NULL) {
		mysql_free_result(meta);
		mysql_stmt_free_result(st);
		/* failed while its rows were read: see forget_statement() */
		if (rc != DB_OK && rc != DB_DOWN)
			forget_statement(db->c, sql);
	}
	if (db->c->conn != NULL) {
		int open = db->c->conn->server_status & SERVER_STATUS_IN_TRANS;

		if (open && !db->c->tx_open)
			db->c->tx_opened_by = sql;
		db->c->tx_open = open;
		db->c->last_sql = sql;
	}
	if (b != stackbind)
		free(b);
	return rc != DB_OK ? rc : out;
}

static int64_t run(struct db *db, const char *sql, const struct dbv *args,
    size_t nargs, struct db_res *res)
{
	int64_t rc = DB_DOWN, tries = cfg_int(CFG_DB_RETRIES), i;

	for (i = 0; i <= tries; i++) {
		if (res != NULL)
			db_res_free(res);
		rc = attempt(db, sql, args, nargs, res);
		if (rc != DB_DOWN)
			return rc;
		/* Lost or never had the connection: drop everything; the next
		 * attempt reconnects and re-prepares. A transaction cannot be
		 * resumed on a new connection: db_tx() retries it whole. A
		 * write lost after the server got it may have been applied:
		 * it is not sent again. */
		if (db->c == NULL)
			return DB_DOWN;		/* no connection came free */
		if (db->c->conn != NULL)
			log_warn("db: connection lost, reconnecting");
		disconnect(db->c);
		if (db->in_tx || (db->maybe_applied &&
		    strncmp(sql, "SELECT", 6) != 0))
			return DB_DOWN;
	}
	return rc;
}

int64_t db_exec(struct db *db, const char *sql, const struct dbv *args,
    size_t nargs)
{
	return run(db, sql, args, nargs, NULL);
}

int64_t db_query(struct db *db, const char *sql, const struct dbv *args,
    size_t nargs, struct db_res *res)
{
	memset(res, 0, sizeof(*res));
	return run(db, sql, args, nargs, res);
}

int64_t db_insert_id(struct db *db)
{
	return db->c && db->c->conn ? (int64_t)mysql_insert_id(db->c->conn) : 0;
}

void db_res_free(struct db_res *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->nrows * res->ncols; i++)
		free(res->cells[i]);
	free(res->cells);
	free(res->lens);
	memset(res, 0, sizeof(*res));
}

const char *db_str(const struct db_res *res, size_t row, size_t col)
{
	if (row >= res->nrows || col >= res->ncols)
		return NULL;
	return res->cells[row * res->ncols + col];
}

size_t db_len(const struct db_res *res, size_t row, size_t col)
{
	if (row >= res->nrows || col >= res->ncols)
		return 0;
	return res->lens[row * res->ncols + col];
}

int64_t db_int(const struct db_res *res, size_t row, size_t col)
{
	const char *s = db_str(res, row, col);

	return s ? strtoll(s, NULL, 10) : 0;
}

static const char SQL_BEGIN[] = "START TRANSACTION";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";

int db_tx(struct db *db, db_tx_fn fn, void *arg)
{
	int attempt_no, rc = DB_DOWN;

	/* START TRANSACTION would commit the one open: the work joins it
	 * instead (a bug all the same, said in the log). */
	if (db->in_tx) {
		log_error("db: a transaction begun inside a transaction");
		return fn(db, arg);
	}
	for (attempt_no = 0; attempt_no < 3; attempt_no++) {
		if ((rc = (int)db_exec(db, SQL_BEGIN, DB_NOARGS)) < 0)
			return rc;
		db->in_tx = 1;
		rc = fn(db, arg);
		if (rc == 0) {
			rc = (int)db_exec(db, SQL_COMMIT, DB_NOARGS);
			db->in_tx = 0;
			if (rc >= 0)
				return 0;
			if (rc == DB_RETRY)
				continue;
			/* The COMMIT itself was lost: its outcome is unknown,
			 * so do not run the work a second time. */
			return rc;
		}
		if (db->c != NULL && db->c->conn != NULL)
			(void)db_exec(db, SQL_ROLLBACK, DB_NOARGS);
		db->in_tx = 0;
		if (rc != DB_RETRY && rc != DB_DOWN)
			return rc;
		if (rc == DB_DOWN && db->c != NULL)
			disconnect(db->c);
	}
	return rc;
}

int db_ping(struct db *db)
{
	struct db_res r;
	int64_t rc = db_query(db, "SELECT 1", DB_NOARGS, &r);

	db_res_free(&r);
	return rc == 1 ? DB_OK : DB_DOWN;
}

int db_exec_raw(struct db *db, const char *sql, struct buf *err)
{
	MYSQL *m;

	if (hold(db) != 0 || (db->c->conn == NULL &&
	    connect_db(db->c, db->pool) != DB_OK)) {
		buf_puts(err, "cannot connect to the database");
		return DB_DOWN;
	}
	m = db->c->conn;
	if (mysql_real_query(m, sql, strlen(sql)) != 0) {
		unsigned e = mysql_errno(m);
		buf_printf(err, "%u: %s", e, mysql_error(m));
		if (lost_errno(e))
			disconnect(db->c);
		return classify(e);
	}
	/* Drain any result sets the script produced. */
	do {
		MYSQL_RES *r = mysql_store_result(m);
		if (r != NULL)
			mysql_free_result(r);
	} while (mysql_next_result(m) == 0);
	return DB_OK;
}
