/* test_db_layer.c - the database layer against a real MariaDB: what a
 * failed statement leaves behind, and the transactions a connection must
 * not carry back to its pool. Run by tests/integration/test_db_layer.py
 * with the configuration of a test stack (PM_CONFIG); the log goes to
 * stderr, which that test reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "log.h"

/* A scan (v has no index): the server sends the columns, then meets the
 * lock; a lookup by key would meet it before answering anything. */
static const char SQL_LOCK[] = "SELECT id, v FROM db_layer_probe"
    " WHERE v >= ? ORDER BY id FOR UPDATE";
static const char SQL_SET[] = "UPDATE db_layer_probe SET v = ? WHERE id = ?";
static const char SQL_GET[] = "SELECT v FROM db_layer_probe WHERE id = ?";
static const char SQL_BEGIN[] = "START TRANSACTION";
static const char SQL_ROLLBACK[] = "ROLLBACK";

static struct db *open_db(void)
{
	struct buf err = { 0 };
	struct db *db = db_open(&err);

	if (db == NULL)
		fail_msg("db_open: %s", buf_cstr(&err));
	buf_free(&err);
	return db;
}

static void raw(struct db *db, const char *sql)
{
	struct buf err = { 0 };

	if (db_exec_raw(db, sql, &err) != DB_OK)
		fail_msg("%s: %s", sql, buf_cstr(&err));
	buf_free(&err);
}

static int64_t value_of(struct db *db, int64_t id)
{
	struct db_res res;
	int64_t n = db_query(db, SQL_GET, DB_ARGS(db_i(id)), &res), v;

	assert_int_equal(n, 1);
	v = db_int(&res, 0, 0);
	db_res_free(&res);
	return v;
}

static int setup(void **state)
{
	struct db *db = open_db();

	(void)state;
	raw(db, "CREATE TABLE IF NOT EXISTS db_layer_probe (id INT PRIMARY KEY,"
	    " v INT NOT NULL) ENGINE=InnoDB");
	raw(db, "DELETE FROM db_layer_probe");
	raw(db, "INSERT INTO db_layer_probe VALUES (1, 0), (2, 0)");
	db_close(db);
	return 0;
}

/* A locking read that times out waiting for a lock fails after the server
 * has sent its columns: the statement must stay usable. (The client
 * library's handle was left expecting rows that never come: the next
 * execution waited for them, its transaction holding its locks, until
 * the 120 s read timeout.) */
static void test_a_locking_read_that_timed_out_runs_again(void **state)
{
	struct db *a = open_db(), *b = open_db();
	struct db_res res;
	int64_t t0, n;

	(void)state;
	raw(b, "SET SESSION innodb_lock_wait_timeout = 1");
	assert_int_equal(db_exec(a, SQL_BEGIN, DB_NOARGS), 0);
	assert_int_equal(db_query(a, SQL_LOCK, DB_ARGS(db_i(0)), &res), 2);
	db_res_free(&res);
	assert_int_equal(db_exec(b, SQL_BEGIN, DB_NOARGS), 0);
	n = db_query(b, SQL_LOCK, DB_ARGS(db_i(0)), &res);
	db_res_free(&res);
	assert_int_equal(n, DB_RETRY);
	assert_int_equal(db_exec(b, SQL_ROLLBACK, DB_NOARGS), 0);
	assert_int_equal(db_exec(a, SQL_ROLLBACK, DB_NOARGS), 0);
	/* the same statement on the same connection, the lock free */
	t0 = clock_mono_us();
	alarm(30);
	n = db_query(b, SQL_LOCK, DB_ARGS(db_i(0)), &res);
	alarm(0);
	assert_int_equal(n, 2);
	assert_string_equal(db_str(&res, 0, 0), "1");
	db_res_free(&res);
	assert_true(clock_mono_us() - t0 < 5 * 1000000);
	db_close(a);
	db_close(b);
}

/* A connection given back inside a transaction: logged, rolled back,
 * and the next user of the connection works outside any transaction. */
static void test_a_connection_back_inside_a_transaction_is_rolled_back(
    void **state)
{
	struct db *a = open_db(), *b = open_db();

	(void)state;
	assert_int_equal(db_exec(a, SQL_BEGIN, DB_NOARGS), 0);
	assert_int_equal(db_exec(a, SQL_SET, DB_ARGS(db_i(7), db_i(2))), 1);
	db_release(a);		/* the bug: no COMMIT, no ROLLBACK */
	assert_int_equal(value_of(b, 2), 0);
	/* autocommit again: another connection sees this write at once */
	assert_int_equal(db_exec(a, SQL_SET, DB_ARGS(db_i(8), db_i(2))), 1);
	db_release(a);
	assert_int_equal(value_of(b, 2), 8);
	db_close(a);
	db_close(b);
}

struct nest { int calls; };

static int inner_fn(struct db *db, void *arg)
{
	struct nest *n = arg;

	n->calls++;
	return db_exec(db, SQL_SET, DB_ARGS(db_i(5), db_i(1))) == 1 ? 0 : -1;
}

static int outer_fn(struct db *db, void *arg)
{
	int rc = db_tx(db, inner_fn, arg);

	if (rc != 0)
		return rc;
	/* the bug of a wait inside a transaction: the connection stays */
	db_release(db);
	if (db_exec(db, SQL_SET, DB_ARGS(db_i(6), db_i(2))) != 1)
		return -1;
	return 1;	/* fails after the inner work: all of it rolls back */
}

/* db_tx() inside db_tx() joins the transaction open (START TRANSACTION
 * would have committed it), and db_release() inside it keeps the
 * connection: the outer failure undoes all the work. */
static void test_a_transaction_inside_a_transaction_joins_it(void **state)
{
	struct db *a = open_db();
	struct nest n = { 0 };

	(void)state;
	assert_int_equal(value_of(a, 1), 0);
	assert_int_equal(db_tx(a, outer_fn, &n), 1);
	assert_int_equal(n.calls, 1);
	assert_int_equal(value_of(a, 1), 0);
	assert_int_equal(value_of(a, 2), 0);
	db_close(a);
}

int main(void)
{
	static struct config conf;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(
		    test_a_locking_read_that_timed_out_runs_again, setup),
		cmocka_unit_test_setup(
		    test_a_connection_back_inside_a_transaction_is_rolled_back,
		    setup),
		cmocka_unit_test_setup(
		    test_a_transaction_inside_a_transaction_joins_it, setup),
	};
	struct buf err = { 0 };
	const char *path = getenv("PM_CONFIG");

	log_init("test_db_layer", LOG_INFO);
	if (path == NULL || config_load(&conf, path, &err) != 0) {
		fprintf(stderr, "test_db_layer: PM_CONFIG: %s\n",
		    path ? buf_cstr(&err) : "not set");
		return 2;
	}
	cfg = &conf;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
