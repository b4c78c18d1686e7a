/* app.c - process-wide resources: the checked routes table, templates and
 * the message catalog. */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byok.h"
#include "keys.h"
#include "config.h"
#include "handlers.h"
#include "msg.h"
#include "router.h"
#include "tmpl.h"
#include "vault.h"

struct tmpl_set *app_templates;
struct vault app_vault;

/* The secrets of the process: the API keys' secret and the vault's master
 * keys, each a file of 64 hex digits. Returns 0, or -1 with the reason
 * (naming the file, never its content) in err. */
static int secrets_load(struct buf *err)
{
	const char *path = cfg_str(CFG_API_KEY_SECRET_FILE);
	struct buf why = { 0 };
	struct vault_key k;
	struct vault v;
	char *text = NULL;
	int rc = -1;

	if (*path == '\0')
		buf_puts(&why, "api_key_secret_file is not set (a file of 64 hex"
		    " digits: openssl rand -hex 32)");
	else if ((text = config_read_secret(path, &why)) != NULL &&
	    vault_key_parse(text, &k, &why) == 0)
		rc = 0;
	if (text != NULL) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	if (rc != 0) {
		buf_printf(err, "API key secret %s: %s", path, buf_cstr(&why));
		buf_free(&why);
		return -1;
	}
	if (vault_load(&v, cfg_str(CFG_VAULT_KEY_FILE),
	    cfg_str(CFG_VAULT_OLD_KEY_FILE), err) != 0) {
		explicit_bzero(&k, sizeof(k));
		return -1;
	}
	/* Both read: only now do they replace the running ones. */
	api_keys_secret(k.k, sizeof(k.k));
	explicit_bzero(&k, sizeof(k));
	vault_wipe(&app_vault);
	app_vault = v;
	vault_wipe(&v);
	byok_vault = &app_vault;
	return 0;
}

int app_load(struct buf *err)
{
	struct tmpl_set *t;

	if (router_init(err) != 0 || api_docs_check(err) != 0 ||
	    secrets_load(err) != 0)
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
