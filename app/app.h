/* app.h - process-wide state of a worker: templates parsed once before the
 * workers fork, and the dispatcher entry point. */
#ifndef PM_APP_H
#define PM_APP_H

#include "buf.h"

struct req;
struct tmpl_set;
struct vault;

/* Templates and message catalog of this process (set by app_load()). */
extern struct tmpl_set *app_templates;
/* The vault's master keys (set by app_load()). */
extern struct vault app_vault;

/* Check the routes table, read the secrets (api_key_secret_file,
 * vault_key_file and vault_old_key_file), load templates and the message
 * catalog from templates_dir. On failure
 * keeps whatever was loaded before and returns -1 with a message in err;
 * returns 0 on success. */
int app_load(struct buf *err);
/* Free what app_load() loaded. */
void app_unload(void);
/* Route and answer one parsed request (router.c). */
void app_dispatch(struct req *r);

#endif
