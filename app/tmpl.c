/* tmpl.c - template parsing into node trees, and rendering. */
#include "tmpl.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "escape.h"
#include "jsonx.h"
#include "money.h"
#include "msg.h"
#include "timefmt.h"
#include "util.h"

enum node_kind { N_TEXT, N_VAR, N_RAW, N_SECTION, N_INVERTED, N_PARTIAL };
enum filter { F_HTML, F_URL, F_JSON, F_COUNT, F_MSG, F_TIME, F_MONEY };

/* The filters a tag may name after "|", and whether each takes an
 * argument after ":" (a catalog key or prefix, or a style). */
static const struct {
	const char	*name;
	enum filter	 filter;
	int		 arg;		/* 1 required, 0 none, -1 optional */
} filters[] = {
	{ "url", F_URL, 0 },
	{ "json", F_JSON, 0 },
	{ "count", F_COUNT, 1 },
	{ "msg", F_MSG, 1 },
	{ "time", F_TIME, -1 },
	{ "money", F_MONEY, 0 },
};

struct node {
	enum node_kind	 kind;
	enum filter	 filter;
	char		*arg;		/* the filter's argument, or NULL */
	char		*text;		/* literal text or the tag's name */
	size_t		 len;
	struct node	*child;		/* section body */
	struct node	*next;
	int		 line;
};

struct tmpl {
	char		*name;
	struct node	*root;
};

struct tmpl_set {
	struct tmpl	*v;
	size_t		 n, cap;
};

#define MAX_DEPTH 32

static void node_free(struct node *n)
{
	while (n != NULL) {
		struct node *next = n->next;

		node_free(n->child);
		free(n->arg);
		free(n->text);
		free(n);
		n = next;
	}
}

struct tmpl_set *tmpl_set_new(void)
{
	return xcalloc(1, sizeof(struct tmpl_set));
}

void tmpl_set_free(struct tmpl_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++) {
		free(set->v[i].name);
		node_free(set->v[i].root);
	}
	free(set->v);
	free(set);
}

static struct tmpl *find(const struct tmpl_set *set, const char *name)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i].name, name) == 0)
			return &set->v[i];
	return NULL;
}

int tmpl_exists(const struct tmpl_set *set, const char *name)
{
	return set != NULL && find(set, name) != NULL;
}

/* Parser state: the source, a cursor and the current line. */
struct parser {
	const char	*name;
	const char	*s;
	size_t		 len, pos;
	int		 line;
	struct buf	*err;
};

static int perr(struct parser *p, int line, const char *msg, const char *arg)
{
	buf_printf(p->err, "%s:%d: %s%s%s\n", p->name, line, msg,
	    arg ? " " : "", arg ? arg : "");
	return -1;
}

static struct node *node_new(enum node_kind k, const char *t, size_t n,
    int line)
{
	struct node *nd = xcalloc(1, sizeof(*nd));

	nd->kind = k;
	nd->text = xstrndup(t, n);
	nd->len = n;
	nd->line = line;
	return nd;
}

static int valid_name(const char *s)
{
	if (strcmp(s, ".") == 0)
		return 1;
	if (*s == '\0' || *s == '.')
		return 0;
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' ||
		    *s == '-' || *s == '/'))
			return 0;
		if (s[0] == '.' && (s[1] == '.' || s[1] == '\0'))
			return 0;
	}
	return 1;
}

static void count_lines(struct parser *p, size_t from, size_t to)
{
	for (; from < to; from++)
		if (p->s[from] == '\n')
			p->line++;
}

/* Whether s is a catalog key or key prefix: [a-z0-9_] words joined by
 * dots. */
static int valid_key(const char *s)
{
	if (*s == '\0' || *s == '.' || s[strlen(s) - 1] == '.' || strstr(s, ".."))
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.") == strlen(s);
}

/* Parse the filter spec ("url", "count:prompts.versions", "time:date")
 * after a tag's "|" into nd. Returns 0 or -1 with the error reported. */
static int parse_filter(struct parser *p, int line, const char *spec,
    struct node *nd)
{
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec), i;

	for (i = 0; i < NELEM(filters); i++)
		if (strlen(filters[i].name) == n &&
		    memcmp(filters[i].name, spec, n) == 0)
			break;
	if (i == NELEM(filters))
		return perr(p, line, "unknown filter", spec);
	nd->filter = filters[i].filter;
	if (colon == NULL) {
		if (filters[i].arg == 1)
			return perr(p, line, "filter needs an argument:", spec);
		return 0;
	}
	if (filters[i].arg == 0 || !valid_key(colon + 1))
		return perr(p, line, "bad filter argument", spec);
	if (nd->filter == F_TIME && strcmp(colon + 1, "date") != 0)
		return perr(p, line, "time takes no argument but date:", spec);
	nd->arg = xstrdup(colon + 1);
	return 0;
}

/* Parse nodes until end of input or a closing tag {{/close}}. On success
 * *out is the list; when close is non-NULL its closing tag must be found. */
static int parse_list(struct parser *p, const char *close, int open_line,
    struct node **out)
{
	struct node *head = NULL, **tail = &head;

	while (p->pos < p->len) {
		const char *open = memmem(p->s + p->pos, p->len - p->pos, "{{", 2);
		size_t start, end, inner_s, inner_e;
		int triple = 0, line;
		char sigil = 0, *name;
		const char *bar;
		struct node *nd;

		if (open == NULL) {
			*tail = node_new(N_TEXT, p->s + p->pos, p->len - p->pos,
			    p->line);
			count_lines(p, p->pos, p->len);
			p->pos = p->len;
			break;
		}
		start = (size_t)(open - p->s);
		if (start > p->pos) {
			*tail = node_new(N_TEXT, p->s + p->pos, start - p->pos,
			    p->line);
			tail = &(*tail)->next;
			count_lines(p, p->pos, start);
		}
		line = p->line;
		inner_s = start + 2;
		if (inner_s < p->len && p->s[inner_s] == '{') {
			triple = 1;
			inner_s++;
		}
		open = memmem(p->s + inner_s, p->len - inner_s,
		    triple ? "}}}" : "}}", triple ? 3 : 2);
		if (open == NULL) {
			node_free(head);
			return perr(p, line, "unclosed tag", NULL);
		}
		inner_e = (size_t)(open - p->s);
		end = inner_e + (triple ? 3 : 2);
		count_lines(p, start, end);
		p->pos = end;
		while (inner_s < inner_e && (p->s[inner_s] == ' '))
			inner_s++;
		if (!triple && inner_s < inner_e &&
		    strchr("#^/>!", p->s[inner_s]) != NULL)
			sigil = p->s[inner_s++];
		if (sigil == '!')
			continue;
		while (inner_s < inner_e && p->s[inner_s] == ' ')
			inner_s++;
		while (inner_e > inner_s && p->s[inner_e - 1] == ' ')
			inner_e--;
		name = xstrndup(p->s + inner_s, inner_e - inner_s);
		nd = NULL;
		if (sigil == 0 && !triple && (bar = strchr(name, '|')) != NULL) {
			name[bar - name] = '\0';
			nd = node_new(N_VAR, name, strlen(name), line);
			if (parse_filter(p, line, bar + 1, nd) != 0) {
				free(name);
				node_free(nd);
				node_free(head);
				return -1;
			}
		}
		if (!valid_name(name)) {
			perr(p, line, "bad tag name", name);
			free(name);
			node_free(nd);
			node_free(head);
			return -1;
		}
		switch (sigil) {
		case '/':
			if (close == NULL || strcmp(close, name) != 0) {
				perr(p, line, close ? "mismatched close tag, expected"
				    : "close tag without open", close ? close : name);
				free(name);
				node_free(head);
				return -1;
			}
			free(name);
			*out = head;
			return 0;
		case '#':
		case '^':
			nd = node_new(sigil == '#' ? N_SECTION : N_INVERTED, name,
			    strlen(name), line);
			if (parse_list(p, name, line, &nd->child) != 0) {
				free(name);
				node_free(nd);
				node_free(head);
				return -1;
			}
			break;
		case '>':
			nd = node_new(N_PARTIAL, name, strlen(name), line);
			break;
		default:
			if (nd == NULL)
				nd = node_new(triple ? N_RAW : N_VAR, name,
				    strlen(name), line);
		}
		free(name);
		*tail = nd;
		tail = &nd->next;
	}
	if (close != NULL) {
		node_free(head);
		return perr(p, open_line, "unclosed section", close);
	}
	*out = head;
	return 0;
}

int tmpl_add(struct tmpl_set *set, const char *name, const char *src,
    size_t len, struct buf *err)
{
	struct parser p = { name, src, len, 0, 1, err };
	struct node *root;
	struct tmpl *t;

	if (parse_list(&p, NULL, 1, &root) != 0)
		return -1;
	if ((t = find(set, name)) != NULL) {
		node_free(t->root);
		t->root = root;
		return 0;
	}
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 32;
		set->v = xrealloc(set->v, set->cap * sizeof(*set->v));
	}
	set->v[set->n].name = xstrdup(name);
	set->v[set->n].root = root;
	set->n++;
	return 0;
}

static int load_file(struct tmpl_set *set, const char *path,
    const char *name, struct buf *err)
{
	struct buf src = { 0 };
	int rc;

	if (buf_read_file(&src, path, 0) != 0) {
		buf_printf(err, "%s: %s\n", path, strerror(errno));
		buf_free(&src);
		return -1;
	}
	rc = tmpl_add(set, name, src.data ? src.data : "", src.len, err);
	buf_free(&src);
	return rc;
}

/* Walk dir/rel recursively adding *.html files. */
static int load_tree(struct tmpl_set *set, const char *root, const char *rel,
    struct buf *err)
{
	char path[4096], sub[4096];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel);
	if ((d = opendir(path)) == NULL) {
		buf_printf(err, "templates: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
		    de->d_name);
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, sub) >=
		    sizeof(path) || stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			rc = load_tree(set, root, sub, err);
		else if (nl > 5 && strcmp(de->d_name + nl - 5, ".html") == 0) {
			sub[strlen(sub) - 5] = '\0';
			rc = load_file(set, path, sub, err);
		}
	}
	closedir(d);
	return rc;
}

static int check_partials(const struct tmpl_set *set, const char *tname,
    const struct node *n, struct buf *err)
{
	for (; n != NULL; n = n->next) {
		if (n->kind == N_PARTIAL && find(set, n->text) == NULL) {
			buf_printf(err, "%s:%d: no such partial %s\n", tname,
			    n->line, n->text);
			return -1;
		}
		if (check_partials(set, tname, n->child, err) != 0)
			return -1;
	}
	return 0;
}

struct tmpl_set *tmpl_load_dir(const char *dir, struct buf *err)
{
	struct tmpl_set *set = tmpl_set_new();
	size_t i;

	if (load_tree(set, dir, "", err) != 0)
		goto fail;
	for (i = 0; i < set->n; i++)
		if (check_partials(set, set->v[i].name, set->v[i].root, err))
			goto fail;
	return set;
fail:
	tmpl_set_free(set);
	return NULL;
}

/* Rendering: a stack of contexts, innermost last. */
struct ctx {
	struct json_object	*v[MAX_DEPTH * 4];
	int			 n;
	int64_t			 now;		/* for times in words */
};

static struct json_object *lookup(const struct ctx *c, const char *name)
{
	char first[128];
	const char *dot, *rest;
	struct json_object *o = NULL;
	int i;

	if (strcmp(name, ".") == 0)
		return c->n ? c->v[c->n - 1] : NULL;
	dot = strchr(name, '.');
	snprintf(first, sizeof(first), "%.*s",
	    (int)(dot ? (size_t)(dot - name) : strlen(name)), name);
	for (i = c->n - 1; i >= 0; i--) {
		if (json_object_is_type(c->v[i], json_type_object) &&
		    json_object_object_get_ex(c->v[i], first, &o))
			break;
	}
	if (i < 0)
		return NULL;
	for (rest = dot; rest != NULL && o != NULL; rest = dot) {
		rest++;
		dot = strchr(rest, '.');
		snprintf(first, sizeof(first), "%.*s",
		    (int)(dot ? (size_t)(dot - rest) : strlen(rest)), rest);
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, first, &o))
			return NULL;
	}
	return o;
}

static int truthy(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null: return 0;
	case json_type_boolean: return json_object_get_boolean(o);
	case json_type_int: return json_object_get_int64(o) != 0;
	case json_type_double: return json_object_get_double(o) != 0;
	case json_type_string: return json_object_get_string_len(o) > 0;
	case json_type_array: return json_object_array_length(o) > 0;
	case json_type_object: return 1;
	}
	return 0;
}

/* The integer value of o (an integer, a double or numeric text) in *v.
 * Returns 0, or -1 when o holds no number. */
static int int_value(struct json_object *o, int64_t *v)
{
	switch (json_object_get_type(o)) {
	case json_type_int:
	case json_type_double:
		*v = json_object_get_int64(o);
		return 0;
	case json_type_string:
		return parse_i64(json_object_get_string(o), INT64_MIN, INT64_MAX, v);
	default:
		return -1;
	}
}

/* The filters that put words and markup around a value: counts in their
 * plural form, catalog words for a code, times, money. Returns 0, or -1
 * when the value is not of the filter's kind (then shown as it is). */
static int emit_words(struct buf *out, struct json_object *o,
    const struct node *nd, int64_t now)
{
	struct buf w = { 0 };
	char key[160], exact[MONEY_HUMAN_MAX], human[MONEY_HUMAN_MAX];
	const char *s;
	int64_t v;

	switch (nd->filter) {
	case F_COUNT:
		if (int_value(o, &v) != 0)
			return -1;
		msg_count(&w, nd->arg, v);
		break;
	case F_MSG:
		s = json_object_get_string(o);
		snprintf(key, sizeof(key), "%s.%s", nd->arg, s);
		buf_puts(&w, msg_get(key));
		break;
	case F_TIME:
		if (json_object_is_type(o, json_type_string)) {
			if (time_parse_iso(json_object_get_string(o), &v) != 0)
				return -1;
		} else if (int_value(o, &v) != 0)
			return -1;
		time_html(out, v, now, nd->arg ? TIME_DATE : TIME_AUTO);
		return 0;
	case F_MONEY:
		if (int_value(o, &v) != 0)
			return -1;
		money_micros(v, exact, sizeof(exact));
		money_human(v, human, sizeof(human));
		msg_countf(&w, "money.exact", v, "exact", exact, NULL);
		buf_puts(out, "<span class=\"money\" title=\"");
		esc_html(out, w.data, w.len);
		buf_puts(out, "\">");
		esc_html(out, human, strlen(human));
		buf_puts(out, "</span>");
		buf_free(&w);
		return 0;
	default:
		return -1;
	}
	esc_html(out, w.data ? w.data : "", w.len);
	buf_free(&w);
	return 0;
}

static void emit(struct buf *out, struct json_object *o, const struct node *nd,
    int64_t now)
{
	enum node_kind k = nd->kind;
	enum filter f = nd->filter;
	const char *s;
	size_t n;

	if (o == NULL || json_object_is_type(o, json_type_null)) {
		if (f == F_JSON)
			buf_puts(out, "null");
		return;
	}
	if (f >= F_COUNT && emit_words(out, o, nd, now) == 0)
		return;
	if (f == F_JSON) {
		if (json_object_is_type(o, json_type_string))
			esc_json_str(out, json_object_get_string(o),
			    (size_t)json_object_get_string_len(o));
		else {
			struct buf tmp = { 0 };
			s = json_to_text(o, JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE, NULL);
			/* Non-string values: re-escape the HTML-significant
			 * characters that may appear inside nested strings. */
			for (; *s; s++) {
				if (*s == '<' || *s == '>' || *s == '&' || *s == '\'')
					buf_printf(&tmp, "\\u%04x", (unsigned char)*s);
				else
					buf_putc(&tmp, *s);
			}
			buf_append(out, tmp.data, tmp.len);
			buf_free(&tmp);
		}
		return;
	}
	if (json_object_is_type(o, json_type_string)) {
		s = json_object_get_string(o);
		n = (size_t)json_object_get_string_len(o);
	} else
		s = json_to_text(o, JSON_C_TO_STRING_PLAIN, &n);
	if (k == N_RAW)
		buf_append(out, s, n);
	else if (f == F_URL)
		esc_url(out, s, n);
	else
		esc_html(out, s, n);
}

static int render_list(const struct tmpl_set *set, const struct node *n,
    struct ctx *c, int depth, struct buf *out)
{
	for (; n != NULL; n = n->next) {
		struct json_object *o;
		const struct tmpl *t;
		size_t i, len;

		switch (n->kind) {
		case N_TEXT:
			buf_append(out, n->text, n->len);
			break;
		case N_VAR:
		case N_RAW:
			emit(out, lookup(c, n->text), n, c->now);
			break;
		case N_INVERTED:
			if (!truthy(lookup(c, n->text)) &&
			    render_list(set, n->child, c, depth, out) != 0)
				return -1;
			break;
		case N_SECTION:
			o = lookup(c, n->text);
			if (!truthy(o))
				break;
			if (c->n + 1 >= (int)(sizeof(c->v) / sizeof(c->v[0])))
				return -1;
			if (json_object_is_type(o, json_type_array)) {
				len = json_object_array_length(o);
				for (i = 0; i < len; i++) {
					c->v[c->n++] = json_object_array_get_idx(o, i);
					if (render_list(set, n->child, c, depth, out))
						return -1;
					c->n--;
				}
			} else {
				c->v[c->n++] = o;
				if (render_list(set, n->child, c, depth, out))
					return -1;
				c->n--;
			}
			break;
		case N_PARTIAL:
			if ((t = find(set, n->text)) == NULL || depth >= MAX_DEPTH)
				return -1;
			if (render_list(set, t->root, c, depth + 1, out) != 0)
				return -1;
			break;
		}
	}
	return 0;
}

int tmpl_render(const struct tmpl_set *set, const char *name,
    struct json_object *data, struct buf *out)
{
	const struct tmpl *t;
	struct ctx c;

	if (set == NULL || (t = find(set, name)) == NULL)
		return -1;
	c.n = 0;
	c.now = clock_now();
	c.v[c.n++] = data;
	return render_list(set, t->root, &c, 0, out);
}
