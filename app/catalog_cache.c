/* catalog_cache.c - process caches of the catalogs, checked against the
 * generation the database keeps (see catalog_cache.h). */
#include <stdlib.h>

#include "catalog_cache.h"

void catalog_cache_put(struct cache_snap *s)
{
	if (s != NULL && atomic_fetch_sub(&s->refs, 1) == 1) {
		db_res_free(&s->res);
		free(s);
	}
}

/* The current snapshot of c, held, when it is at least as new as gen. */
static struct cache_snap *current(struct catalog_cache *c, int64_t gen)
{
	struct cache_snap *s = NULL;

	pthread_mutex_lock(&c->mu);
	if (c->cur != NULL && gen > 0 && c->cur->gen >= gen) {
		s = c->cur;
		atomic_fetch_add(&s->refs, 1);
	}
	pthread_mutex_unlock(&c->mu);
	return s;
}

int catalog_cache_get(struct catalog_cache *c, struct db *db, int64_t gen,
    struct cache_snap **out)
{
	struct cache_snap *s, *old = NULL;
	int64_t n;

	if ((*out = current(c, gen)) != NULL)
		return 0;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return DB_ERROR;
	n = db_query(db, c->sql, DB_NOARGS, &s->res);
	if (n <= 0) {
		db_res_free(&s->res);
		free(s);
		return n < 0 ? (int)n : DB_ERROR;
	}
	s->gen = db_int(&s->res, 0, s->res.ncols - 1);
	atomic_init(&s->refs, 2);		/* the cache's and the caller's */
	pthread_mutex_lock(&c->mu);
	if (c->cur == NULL || c->cur->gen <= s->gen) {
		old = c->cur;
		c->cur = s;
	} else
		atomic_fetch_sub(&s->refs, 1);	/* a newer one came meanwhile */
	pthread_mutex_unlock(&c->mu);
	catalog_cache_put(old);
	*out = s;
	return 0;
}

void catalog_cache_clear(struct catalog_cache *c)
{
	struct cache_snap *old;

	pthread_mutex_lock(&c->mu);
	old = c->cur;
	c->cur = NULL;
	pthread_mutex_unlock(&c->mu);
	catalog_cache_put(old);
}
