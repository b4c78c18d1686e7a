/* cli_system.c - pm-admin migrate, config and executions sweep. */
#include "cli.h"

#include <stdio.h>

#include "admission.h"
#include "buf.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "migrate.h"
#include "msg.h"
#include "runner.h"

int cli_migrate(struct db *db, char **argv)
{
	struct buf b = { 0 };
	int n = migrate_run(db, cfg_str(CFG_MIGRATIONS_DIR), stdout);

	(void)argv;
	if (n < 0)
		return 1;
	msg_count(&b, "cli.migrations", n);
	printf("%s\n", buf_cstr(&b));
	buf_free(&b);
	return 0;
}

int cli_config(struct db *db, char **argv)
{
	int i;

	(void)db;
	(void)argv;
	for (i = 0; i < CFG__MAX; i++)
		printf("%-28s = %-40s # %s\n", config_keys[i].name, cfg_str(i),
		    config_keys[i].description);
	return 0;
}

/* Settle runs left RUNNING by a worker that died. */
int cli_executions_sweep(struct db *db, char **argv)
{
	struct buf b = { 0 };
	int n = admission_sweep(db, clock_now(), runner_gone);

	(void)argv;
	if (n < 0)
		return cli_fail(n, NULL);
	msg_count(&b, "cli.swept", n);
	printf("%s\n", buf_cstr(&b));
	buf_free(&b);
	return 0;
}
