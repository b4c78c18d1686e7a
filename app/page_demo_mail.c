/* page_demo_mail.c - /demo/mail: the messages the local SMTP sink of a
 * demo or test stack caught (tests/fakes/smtp_sink.py), so that a
 * newcomer without a mail server can open a reset link.
 *
 * The route exists only when demo_mail_dir is set (router.h,
 * RF_DEMO_MAIL), and the page reads only a directory the sink made (it
 * holds the sink's marker file). It is open to anyone who reaches the
 * site, signed in or not: the person who needs it has forgotten their
 * password. That is safe only where every message stays on the machine,
 * as on the stacks scripts/stack.sh starts on 127.0.0.1; a real
 * installation never sets demo_mail_dir (conf/app.conf.example).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "handlers.h"
#include "http.h"
#include "msg.h"
#include "util.h"

/* The newest messages shown, and the largest file read. */
#define SHOWN		50
#define FILE_MAX	(1024 * 1024)
/* The file the sink writes in its directory. */
#define MARKER		".pm-smtp-sink"

/* Whether name is a message's JSON file: digits then ".json". */
static int message_file(const char *name)
{
	size_t n = strspn(name, "0123456789");

	return n > 0 && strcmp(name + n, ".json") == 0;
}

static int newest_first(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

/* A string member of o, or "". */
static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return "";
}

/* The page's view of one caught message m (file name), or NULL. */
static struct json_object *message_view(struct json_object *m,
    const char *name)
{
	struct json_object *v = json_object_new_object(), *links, *rcpt, *out;
	struct buf to = { 0 };
	char when[32];
	size_t i;

	json_object_object_add(v, "file", json_object_new_string(name));
	json_object_object_add(v, "subject",
	    json_object_new_string(str_of(m, "subject")));
	json_object_object_add(v, "from", json_object_new_string(str_of(m, "from")));
	json_object_object_add(v, "text", json_object_new_string(str_of(m, "text")));
	if (json_object_object_get_ex(m, "rcpt_to", &rcpt) &&
	    json_object_is_type(rcpt, json_type_array))
		for (i = 0; i < json_object_array_length(rcpt); i++)
			buf_printf(&to, "%s%s", i ? ", " : "", json_object_get_string(
			    json_object_array_get_idx(rcpt, i)));
	json_object_object_add(v, "to", json_object_new_string(buf_cstr(&to)));
	buf_free(&to);
	json_object_object_add(v, "received", json_object_new_string(clock_fmt(
	    json_object_get_int64(json_object_object_get(m, "received_at")),
	    when, sizeof(when))));
	/* Only web links are made clickable. */
	out = json_object_new_array();
	if (json_object_object_get_ex(m, "links", &links) &&
	    json_object_is_type(links, json_type_array))
		for (i = 0; i < json_object_array_length(links); i++) {
			const char *l = json_object_get_string(
			    json_object_array_get_idx(links, i));

			if (l != NULL && (strncmp(l, "http://", 7) == 0 ||
			    strncmp(l, "https://", 8) == 0))
				json_object_array_add(out, json_object_new_string(l));
		}
	json_object_object_add(v, "has_links",
	    json_object_new_boolean(json_object_array_length(out) > 0));
	json_object_object_add(v, "links", out);
	return v;
}

/* The caught messages of dir, newest first, into list. */
static void read_messages(const char *dir, struct json_object *list)
{
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0, i;
	struct dirent *e;
	DIR *dp;

	snprintf(path, sizeof(path), "%s/%s", dir, MARKER);
	if (access(path, F_OK) != 0 || (dp = opendir(dir)) == NULL)
		return;
	while ((e = readdir(dp)) != NULL) {
		if (!message_file(e->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(e->d_name);
	}
	closedir(dp);
	if (n > 0)
		qsort(names, n, sizeof(*names), newest_first);
	for (i = 0; i < n; i++) {
		struct buf b = { 0 };
		struct json_object *m;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (json_object_array_length(list) < SHOWN &&
		    buf_read_file(&b, path, FILE_MAX) == 0 &&
		    (m = json_tokener_parse(buf_cstr(&b))) != NULL) {
			if (json_object_is_type(m, json_type_object))
				json_object_array_add(list, message_view(m, names[i]));
			json_object_put(m);
		}
		buf_free(&b);
		free(names[i]);
	}
	free(names);
}

void h_demo_mail(struct req *r)
{
	struct json_object *d = page_data(r, "demo_mail");
	struct json_object *list = json_object_new_array();
	const char *dir = cfg_str(CFG_DEMO_MAIL_DIR);
	struct buf shown = { 0 };

	read_messages(dir, list);
	json_object_object_add(d, "dir", json_object_new_string(dir));
	msg_count(&shown, "demo_mail.shown",
	    (int64_t)json_object_array_length(list));
	json_object_object_add(d, "shown", json_object_new_string(buf_cstr(&shown)));
	buf_free(&shown);
	json_object_object_add(d, "messages", list);
	resp_header(r, "X-Robots-Tag", "noindex");
	resp_page(r, 200, "demo_mail", d);
}
