/* msg.c - the message catalog (templates/messages/<lang>.txt). */
#include "msg.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

struct msg {
	char	*key;
	char	*text;
};

static struct msg *msgs;
static size_t nmsgs;

static int msg_cmp(const void *a, const void *b)
{
	return strcmp(((const struct msg *)a)->key, ((const struct msg *)b)->key);
}

void msg_free(void)
{
	size_t i;

	for (i = 0; i < nmsgs; i++) {
		free(msgs[i].key);
		free(msgs[i].text);
	}
	free(msgs);
	msgs = NULL;
	nmsgs = 0;
}

/* Decode the escapes \n and \\ in a catalog value, in place. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1] == 'n') {
			*w++ = '\n';
			s++;
		} else if (*s == '\\' && s[1] == '\\') {
			*w++ = '\\';
			s++;
		} else
			*w++ = *s;
	}
	*w = '\0';
}

/* Append the "key = text" lines of one file to *v. Returns 0 or -1. */
static int load_file(const char *path, struct msg **v, size_t *n, size_t *cap,
    struct buf *err)
{
	char line[4096];
	int lineno = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		buf_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *eq, *e, *k;

		lineno++;
		p[strcspn(p, "\r\n")] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			buf_printf(err, "%s:%d: expected key = text", path, lineno);
			fclose(f);
			return -1;
		}
		e = eq;
		while (e > p && isspace((unsigned char)e[-1]))
			e--;
		k = xstrndup(p, (size_t)(e - p));
		p = eq + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 256;
			*v = xrealloc(*v, *cap * sizeof(**v));
		}
		(*v)[*n].key = k;
		(*v)[*n].text = xstrdup(p);
		unescape((*v)[*n].text);
		(*n)++;
	}
	fclose(f);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int msg_load(const char *templates_dir, const char *lang, struct buf *err)
{
	char dirpath[1024], path[1280];
	struct msg *v = NULL;
	char **files = NULL;
	size_t n = 0, cap = 0, nfiles = 0, i;
	struct dirent *de;
	int rc = -1;
	DIR *d;

	snprintf(dirpath, sizeof(dirpath), "%s/messages/%s", templates_dir, lang);
	if ((d = opendir(dirpath)) == NULL) {
		buf_printf(err, "%s: %s", dirpath, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len > 4 && strcmp(de->d_name + len - 4, ".txt") == 0) {
			files = xrealloc(files, (nfiles + 1) * sizeof(*files));
			files[nfiles++] = xstrdup(de->d_name);
		}
	}
	closedir(d);
	qsort(files, nfiles, sizeof(*files), name_cmp);
	for (i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "%s/%s", dirpath, files[i]);
		if (load_file(path, &v, &n, &cap, err) != 0)
			goto out;
	}
	qsort(v, n, sizeof(*v), msg_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(v[i - 1].key, v[i].key) == 0) {
			buf_printf(err, "%s: duplicate key %s", dirpath, v[i].key);
			goto out;
		}
	msg_free();
	msgs = v;
	nmsgs = n;
	v = NULL;
	n = 0;
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].text);
	}
	free(v);
	for (i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	return rc;
}

/* The entry of key, or NULL. */
static const struct msg *msg_find(const char *key)
{
	struct msg probe;

	probe.key = (char *)key;
	return msgs ? bsearch(&probe, msgs, nmsgs, sizeof(*msgs), msg_cmp) : NULL;
}

int msg_has(const char *key)
{
	return msg_find(key) != NULL;
}

const char *msg_get(const char *key)
{
	const struct msg *m = msg_find(key);

	if (m == NULL) {
		log_warn("message catalog has no key %s", key);
		return key;
	}
	return m->text;
}

static void count_at(struct buf *out, const char *key, int64_t n,
    const char *const *names, const char *const *values, size_t npairs,
    int depth);

/* msg_fmt_pairs() at a depth of plural placeholders: a text reached
 * through one ({count} of a plural form) expands no more. */
static void fmt_pairs(struct buf *out, const char *t, const char *const *names,
    const char *const *values, size_t npairs, int depth)
{
	size_t i;

	while (*t) {
		const char *close, *colon;

		if (*t == '{' && (close = strchr(t + 1, '}')) != NULL) {
			size_t len = (size_t)(close - t - 1);
			char key[128];
			int64_t n;

			colon = memchr(t + 1, ':', len);
			if (colon != NULL)
				len = (size_t)(colon - t - 1);
			for (i = 0; i < npairs; i++)
				if (strlen(names[i]) == len &&
				    memcmp(names[i], t + 1, len) == 0)
					break;
			if (i < npairs && colon != NULL && depth == 0 &&
			    (size_t)(close - colon) < sizeof(key) && values[i] &&
			    parse_i64(values[i], INT64_MIN, INT64_MAX, &n) == 0) {
				snprintf(key, sizeof(key), "%.*s",
				    (int)(close - colon - 1), colon + 1);
				count_at(out, key, n, NULL, NULL, 0, depth + 1);
				t = close + 1;
				continue;
			}
			if (i < npairs) {
				buf_puts(out, values[i] ? values[i] : "");
				t = close + 1;
				continue;
			}
		}
		buf_putc(out, *t++);
	}
}

void msg_fmt_pairs(struct buf *out, const char *key, const char *const *names,
    const char *const *values, size_t npairs)
{
	fmt_pairs(out, msg_get(key), names, values, npairs, 0);
}

void msg_vfmt(struct buf *out, const char *key, va_list ap)
{
	const char *names[16], *values[16];
	size_t npairs = 0;
	const char *name;

	while (npairs < NELEM(names) && (name = va_arg(ap, const char *)) != NULL) {
		names[npairs] = name;
		values[npairs] = va_arg(ap, const char *);
		npairs++;
	}
	msg_fmt_pairs(out, key, names, values, npairs);
}

void msg_fmt(struct buf *out, const char *key, ...)
{
	va_list ap;

	va_start(ap, key);
	msg_vfmt(out, key, ap);
	va_end(ap);
}

/* The plural form of key for n with {count} and the npairs more
 * arguments, at depth (see fmt_pairs). */
static void count_at(struct buf *out, const char *key, int64_t n,
    const char *const *names, const char *const *values, size_t npairs,
    int depth)
{
	const char *nv[17], *vv[17];
	char k[128], v[24];
	size_t i;

	snprintf(k, sizeof(k), "%s.zero", key);
	if (n != 0 || !msg_has(k))
		snprintf(k, sizeof(k), "%s.%s", key, n == 1 ? "one" : "other");
	snprintf(v, sizeof(v), "%lld", (long long)n);
	nv[0] = "count";
	vv[0] = v;
	for (i = 0; i < npairs && i < 16; i++) {
		nv[i + 1] = names[i];
		vv[i + 1] = values[i];
	}
	fmt_pairs(out, msg_get(k), nv, vv, i + 1, depth);
}

void msg_countf(struct buf *out, const char *key, int64_t n, ...)
{
	const char *names[16], *values[16], *name;
	size_t npairs = 0;
	va_list ap;

	va_start(ap, n);
	while (npairs < NELEM(names) && (name = va_arg(ap, const char *)) != NULL) {
		names[npairs] = name;
		values[npairs] = va_arg(ap, const char *);
		npairs++;
	}
	va_end(ap);
	count_at(out, key, n, names, values, npairs, 0);
}

void msg_count(struct buf *out, const char *key, int64_t n)
{
	msg_countf(out, key, n, NULL);
}
