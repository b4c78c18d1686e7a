/* catalog_cache.h - rows that rarely change (the plan and model catalogs)
 * kept in the process and checked against catalog_state.generation.
 *
 * The database bumps catalog_state.generation with every change to plans,
 * models or app_settings (triggers, db/migrations/010). A request reads
 * the generation with its session, in the statement it makes anyway; a
 * cache hands out its snapshot when that is at least as new, and reads it
 * again otherwise. So a change made before the request began is always
 * seen, at no cost to a request when nothing changed.
 *
 * A cache holds the result of one query whose last column is the
 * generation, read in the same statement as the rows so that the two
 * agree (the query must return at least one row: LEFT JOIN the data to
 * catalog_state). A snapshot is immutable and reference-counted: threads
 * keep reading theirs while a newer one replaces it.
 */
#ifndef PM_CATALOG_CACHE_H
#define PM_CATALOG_CACHE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "db.h"

/* One read of the query: its rows, and the generation they are of. */
struct cache_snap {
	int64_t		 gen;
	struct db_res	 res;
	atomic_int	 refs;
};

struct catalog_cache {
	const char	*sql;		/* no parameters; set before first use */
	pthread_mutex_t	 mu;
	struct cache_snap *cur;
};

#define CATALOG_CACHE_INIT(query) { (query), PTHREAD_MUTEX_INITIALIZER, NULL }

/* A snapshot of c at least as new as gen (gen <= 0: read it now), reading
 * the query again when needed. Returns 0 with *out held (release it with
 * catalog_cache_put()), or a negative enum db_err. */
int catalog_cache_get(struct catalog_cache *c, struct db *db, int64_t gen,
    struct cache_snap **out);
/* Release a snapshot from catalog_cache_get(). Accepts NULL. */
void catalog_cache_put(struct cache_snap *s);
/* Drop c's snapshot (tests, process exit). */
void catalog_cache_clear(struct catalog_cache *c);

#endif
