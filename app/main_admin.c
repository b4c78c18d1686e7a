/* main_admin.c - pm-admin: operate a Prompt Manager installation. The
 * commands are the table below; each lives in a cli_*.c file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "msg.h"
#include "upstream.h"
#include "util.h"

static const struct cli_command commands[] = {
	{ "migrate", 0, 0, "", "cli.help.migrate", cli_migrate },
	{ "create-admin", 1, 1, "EMAIL", "cli.help.create_admin",
	  cli_create_admin },
	{ "config", 0, 0, "", "cli.help.config", cli_config },
	{ "plans load", 1, 1, "FILE", "cli.help.plans_load", cli_plans_load },
	{ "set-plan", 2, 2, "EMAIL PLAN", "cli.help.set_plan", cli_set_plan },
	{ "models sync", 0, 2, "[--file F]", "cli.help.models_sync",
	  cli_models_sync },
	{ "models free-tier", 2, 2, "MODEL on|off", "cli.help.models_free_tier",
	  cli_models_free_tier },
	{ "executions sweep", 0, 0, "", "cli.help.executions_sweep",
	  cli_executions_sweep },
	{ "purge", 0, 0, "", "cli.help.purge", cli_purge },
	{ "rotate-master-key", 1, 1, "NEWFILE", "cli.help.rotate_master_key",
	  cli_rotate_master_key },
	{ "stripe sync-prices", 0, 0, "", "cli.help.stripe_sync_prices",
	  cli_stripe_sync_prices },
	{ "stripe sync", 0, 0, "", "cli.help.stripe_sync", cli_stripe_sync },
	{ "stripe reapply", 1, 1, "EVENT", "cli.help.stripe_reapply",
	  cli_stripe_reapply },
};

static void usage(void)
{
	size_t i;

	fprintf(stderr, "%s\n\n", msg_get("cli.usage"));
	for (i = 0; i < NELEM(commands); i++)
		fprintf(stderr, "  %-17s %-13s %s\n", commands[i].name,
		    commands[i].args, msg_get(commands[i].help));
	exit(2);
}

int main(int argc, char *argv[])
{
	static struct config conf;
	const struct cli_command *c = NULL;
	const char *path = NULL;
	struct buf err = { 0 };
	struct db *db = NULL;
	size_t i;
	int ch, rc, catalog;

	while ((ch = getopt(argc, argv, "+c:h")) != -1) {
		if (ch == 'c')
			path = optarg;
		else
			usage();
	}
	argc -= optind;
	argv += optind;
	if (path == NULL)
		path = config_default_path();
	log_init("pm-admin", LOG_WARN);
	/* Before the catalog is loaded there are no sentences to print but
	 * these two. */
	if (config_load(&conf, path, &err) != 0) {
		fprintf(stderr, "pm-admin: configuration: %s\n", buf_cstr(&err));
		return 1;
	}
	cfg = &conf;
	/* "config" helps to find why the catalog cannot load: it needs none.
	 * Usage is shown with the catalog when it loads. */
	catalog = msg_load(cfg_str(CFG_TEMPLATES_DIR), "en", &err);
	for (i = 0; argc >= 1 && i < NELEM(commands); i++) {
		const char *n = commands[i].name, *sp = strchr(n, ' ');

		if (sp == NULL && strcmp(argv[0], n) == 0)
			c = &commands[i];
		else if (sp != NULL && argc >= 2 &&
		    strlen(argv[0]) == (size_t)(sp - n) &&
		    strncmp(argv[0], n, (size_t)(sp - n)) == 0 &&
		    strcmp(argv[1], sp + 1) == 0)
			c = &commands[i];
		if (c != NULL)
			break;
	}
	if (c != NULL && strchr(c->name, ' ') != NULL) {
		argc--;
		argv++;
	}
	if (c == NULL || argc - 1 < c->nargs || argc - 1 > c->maxargs)
		usage();
	if (catalog != 0 && strcmp(c->name, "config") != 0) {
		fprintf(stderr, "pm-admin: message catalog: %s\n", buf_cstr(&err));
		return 1;
	}
	if (strcmp(c->name, "config") != 0) {
		if ((db = db_open(&err)) == NULL)
			return cli_error("cli.config", "detail", buf_cstr(&err),
			    NULL);
		if (db_ping(db) != DB_OK) {
			db_close(db);
			return cli_error("cli.db_unreachable", "where",
			    cfg_str(CFG_DB_SOCKET)[0] ? cfg_str(CFG_DB_SOCKET) :
			    cfg_str(CFG_DB_HOST), NULL);
		}
	}
	rc = c->fn(db, argv + 1);
	upstream_global_cleanup();	/* libcurl starts only when used */
	db_close(db);
	msg_free();
	config_free(&conf);
	buf_free(&err);
	return rc;
}
