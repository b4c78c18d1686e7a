/* cli_plans.c - pm-admin plans load and set-plan. */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "plans.h"

/* plans load FILE: a catalog file; a bare name that is not a file here
 * ("gateway" or "gateway.json") is looked up in plans_dir. */
int cli_plans_load(struct db *db, char **argv)
{
	struct buf report = { 0 };
	struct pm_fail f = { 0 };
	const char *path = argv[0];
	char alt[1024];
	size_t len = strlen(path);
	int rc;

	if (strchr(path, '/') == NULL && access(path, F_OK) != 0 &&
	    cfg_str(CFG_PLANS_DIR)[0] != '\0') {
		snprintf(alt, sizeof(alt), "%s/%s%s", cfg_str(CFG_PLANS_DIR),
		    path, len > 5 && strcmp(path + len - 5, ".json") == 0 ?
		    "" : ".json");
		if (access(alt, F_OK) == 0)
			path = alt;
	}
	if ((rc = plans_load(db, path, clock_now(), &report, &f)) != 0) {
		buf_free(&report);
		return cli_fail(rc, &f);
	}
	printf("%s\n", buf_cstr(&report));
	buf_free(&report);
	return 0;
}

/* set-plan EMAIL PLAN: assign a plan of the active catalog by hand. */
int cli_set_plan(struct db *db, char **argv)
{
	struct pm_fail f = { 0 };
	char code[PLAN_CODE_MAX + 1];
	size_t i;
	int rc = plan_set_for_user(db, argv[0], argv[1], clock_now(), &f);

	if (rc != 0)
		return cli_fail(rc, &f);
	for (i = 0; argv[1][i] != '\0' && i < PLAN_CODE_MAX; i++)
		code[i] = (argv[1][i] >= 'a' && argv[1][i] <= 'z') ?
		    (char)(argv[1][i] - 'a' + 'A') : argv[1][i];
	code[i] = '\0';
	cli_say("plans.assigned", "code", code, "email", argv[0], NULL);
	return 0;
}
