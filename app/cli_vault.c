/* cli_vault.c - pm-admin rotate-master-key NEWFILE: seal every stored
 * provider key (BYOK) again with a new master key while the site keeps
 * serving. The operator's steps are in INSTALL: the site is first given
 * NEWFILE as vault_key_file and the key in use as vault_old_key_file (and
 * reloaded), so that it opens both while this runs. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "byok.h"
#include "config.h"
#include "vault.h"

int cli_rotate_master_key(struct db *db, char **argv)
{
	struct byok_reseal_report rep;
	struct vault v;
	struct vault_key k;
	struct buf err = { 0 };
	char n[4][24];
	int rc;

	if (vault_load(&v, argv[0], NULL, &err) != 0) {
		rc = cli_error("cli.rotate_bad_file", "detail", buf_cstr(&err), NULL);
		buf_free(&err);
		return rc;
	}
	k = v.cur;
	vault_wipe(&v);
	if (vault_load(&v, cfg_str(CFG_VAULT_KEY_FILE),
	    cfg_str(CFG_VAULT_OLD_KEY_FILE), &err) != 0) {
		explicit_bzero(&k, sizeof(k));
		rc = cli_error("cli.rotate_no_vault", "detail", buf_cstr(&err),
		    NULL);
		buf_free(&err);
		return rc;
	}
	/* The running site must open what this seals: NEWFILE has to be the
	 * key it seals with already. */
	rc = strcmp(k.id, v.cur.id) != 0;
	explicit_bzero(&k, sizeof(k));
	if (rc) {
		vault_wipe(&v);
		return cli_error("cli.rotate_not_current", "file", argv[0], NULL);
	}
	rc = byok_reseal(db, &v, &rep);
	if (rc != 0) {
		vault_wipe(&v);
		return cli_fail(rc, NULL);
	}
	snprintf(n[0], sizeof(n[0]), "%lld", (long long)rep.resealed);
	snprintf(n[1], sizeof(n[1]), "%lld", (long long)rep.current);
	snprintf(n[2], sizeof(n[2]), "%lld", (long long)rep.changed);
	snprintf(n[3], sizeof(n[3]), "%lld", (long long)rep.unreadable);
	cli_say("cli.rotate_done", "resealed", n[0], "current", n[1],
	    "changed", n[2], "unreadable", n[3], "key_id", v.cur.id, NULL);
	vault_wipe(&v);
	if (rep.changed != 0 || rep.unreadable != 0) {
		cli_say("cli.rotate_left", NULL);
		return 1;
	}
	cli_say("cli.rotate_next", NULL);
	return 0;
}
