/* cli_models.c - pm-admin models sync and models free-tier. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "models.h"
#include "upstream.h"

/* models sync [--file F]: from OpenRouter's GET /models, or a file. */
int cli_models_sync(struct db *db, char **argv)
{
	struct buf report = { 0 }, m = { 0 };
	struct pm_fail f = { 0 };
	const char *path = NULL;
	int rc;

	if (argv != NULL && argv[0] != NULL) {
		if (strcmp(argv[0], "--file") != 0 || argv[1] == NULL) {
			cli_error("cli.models_usage", NULL);
			return 2;
		}
		path = argv[1];
	}
	/* libcurl starts only when the upstream is asked. */
	if (path == NULL && upstream_global_init() != 0)
		return cli_error("cli.no_curl", NULL);
	if ((rc = models_sync(db, path, clock_now(), &report, &f)) < 0) {
		pm_fail_text(rc, &f, &m);
		cli_error("cli.models_sync_failed", "detail", buf_cstr(&m), NULL);
		pm_fail_clear(&f);
		buf_free(&m);
		buf_free(&report);
		return 1;
	}
	printf("%s\n", buf_cstr(&report));
	buf_free(&report);
	return 0;
}

/* models free-tier MODEL on|off: whether the FREE plan may use a model. */
int cli_models_free_tier(struct db *db, char **argv)
{
	int on = strcmp(argv[1], "on") == 0, rc;

	if (!on && strcmp(argv[1], "off") != 0)
		return cli_error("cli.on_or_off", "value", argv[1], NULL);
	if ((rc = model_set_free_tier(db, argv[0], on)) != 0) {
		if (rc == PM_NOTFOUND)
			return cli_error("models.unknown", NULL);
		return cli_fail(rc, NULL);
	}
	cli_say(on ? "cli.free_tier_on" : "cli.free_tier_off", "model",
	    argv[0], NULL);
	return 0;
}
