/* app.c - process-wide resources: the checked routes table, templates and
 * the message catalog. */
#include "app.h"

#include <stdio.h>

#include "config.h"
#include "msg.h"
#include "router.h"
#include "tmpl.h"

struct tmpl_set *app_templates;

int app_load(struct buf *err)
{
	struct tmpl_set *t;

	if (router_init(err) != 0)
		return -1;
	if ((t = tmpl_load_dir(cfg_str(CFG_TEMPLATES_DIR), err)) == NULL)
		return -1;
	if (msg_load(cfg_str(CFG_TEMPLATES_DIR), "en", err) != 0) {
		tmpl_set_free(t);
		return -1;
	}
	tmpl_set_free(app_templates);
	app_templates = t;
	return 0;
}

void app_unload(void)
{
	tmpl_set_free(app_templates);
	app_templates = NULL;
	msg_free();
}
