/* cli.h - the commands of pm-admin (cli_*.c) and what they share: how a
 * command is declared, and how it prints. Every sentence comes from the
 * message catalog (templates/messages/<lang>/cli.txt and the domain's).
 *
 * A command receives the database handle (NULL for "config") and its
 * arguments, already counted against its declaration; it prints its
 * report on standard output or its error on standard error and returns
 * the process exit status: 0, 1 for a failure, 2 for bad arguments.
 */
#ifndef PM_CLI_H
#define PM_CLI_H

#include "error.h"

struct db;

struct cli_command {
	const char	*name;		/* one word, or two ("plans load") */
	int		 nargs;		/* arguments required... */
	int		 maxargs;	/* ...and allowed */
	const char	*args;		/* their synopsis */
	const char	*help;		/* catalog key of the description */
	int		(*fn)(struct db *db, char **argv);
};

/* Print the catalog sentence key with its {name} placeholders filled from
 * the NULL-terminated name, value pairs, and a newline, on stdout. */
void cli_say(const char *key, ...) __attribute__((sentinel));
/* The same on stderr, prefixed "pm-admin: ". Returns 1. */
int cli_error(const char *key, ...) __attribute__((sentinel));
/* Print the failure rc with particulars f (may be NULL) on stderr,
 * prefixed "pm-admin: ", and release f. Returns 1. */
int cli_fail(int rc, struct pm_fail *f);

/* cli_system.c */
int cli_migrate(struct db *db, char **argv);
int cli_config(struct db *db, char **argv);
int cli_executions_sweep(struct db *db, char **argv);
/* cli_accounts.c */
int cli_create_admin(struct db *db, char **argv);
int cli_purge(struct db *db, char **argv);
/* cli_plans.c */
int cli_plans_load(struct db *db, char **argv);
int cli_set_plan(struct db *db, char **argv);
/* cli_models.c */
int cli_models_sync(struct db *db, char **argv);
int cli_models_free_tier(struct db *db, char **argv);
/* cli_vault.c */
int cli_rotate_master_key(struct db *db, char **argv);
/* cli_stripe.c */
int cli_stripe_sync_prices(struct db *db, char **argv);
int cli_stripe_sync(struct db *db, char **argv);
int cli_stripe_reapply(struct db *db, char **argv);

#endif
