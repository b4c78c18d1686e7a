/* migrate.h - apply db/migrations/NNN_name.sql files once each. */
#ifndef PM_MIGRATE_H
#define PM_MIGRATE_H

#include <stdio.h>

struct db;

/* Apply every migration in dir not yet recorded in schema_migrations, in
 * order, under a server-side lock so two runs cannot interleave. Progress
 * goes to out. Returns the number applied, or -1 after printing the failing
 * file and statement to out. */
int migrate_run(struct db *db, const char *dir, FILE *out);

#endif
