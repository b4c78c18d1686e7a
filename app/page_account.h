/* page_account.h - what the account pages share (page_account.c): the
 * answer of a throttled form, the settings page, the pages of links sent
 * by e-mail. */
#ifndef PM_PAGE_ACCOUNT_H
#define PM_PAGE_ACCOUNT_H

#include <json-c/json.h>
#include <stdint.h>

#include "mail_tokens.h"

struct req;

/* The cookie of a device that logged in (users.h). */
#define DEVICE_COOKIE	"pm_device"

/* Refuse with 429: the form d of template tmpl with the sentence key
 * naming the minutes until the oldest counted attempt leaves the window
 * (plural: key.one / key.other with {count}; else {minutes}), and
 * Retry-After. Takes d. */
void account_throttled(struct req *r, struct json_object *d, const char *tmpl,
    const char *key, int plural, int64_t oldest, int64_t window);
/* The settings page's data: page_data with the account's pending change
 * of e-mail. Returns a new object, or NULL when the database does not
 * answer. */
struct json_object *settings_data(struct req *r);
/* Answer the page of a link of purpose whose state is not LINK_OK: 404
 * for an unknown link, 409 for an address taken since, 410 for one that
 * expired, was used or voided; nothing was changed. email: the address
 * concerned (LINK_TAKEN). */
void link_refused(struct req *r, enum link_purpose purpose,
    enum link_state state, const char *email);

/* On a page whose address holds a link's token: ask the browser not to
 * send that address on as a Referer (to this site's own requests either,
 * whose logs would keep it). The header follows the site-wide
 * "same-origin", and the last value wins. */
void link_page_private(struct req *r);

#endif
