/* version_rules.c - what a version's content may be: messages (or a
 * system and user template), model id, parameters, variable declarations
 * detected from the placeholders, commit message. Pure: no database. */
#include <string.h>

#include "jsonx.h"
#include "prompts.h"
#include "util.h"
#include "vars.h"


static int is_str(struct json_object *o)
{
	return o != NULL && json_object_is_type(o, json_type_string);
}

static int is_num(struct json_object *o)
{
	return o != NULL && (json_object_is_type(o, json_type_int) ||
	    json_object_is_type(o, json_type_double));
}

/* messages: an array of {role, content}, or system + user_template. */
static int build_messages(struct json_object *in, struct json_object *base,
    struct json_object **out, struct pm_fail *f)
{
	struct json_object *m, *sys = NULL, *user = NULL, *a;
	size_t i, n, total = 0;

	if (json_object_object_get_ex(in, "messages", &m) && m != NULL) {
		if (!json_object_is_type(m, json_type_array) ||
		    (n = json_object_array_length(m)) == 0)
			return pm_refuse(f, PM_INVALID, "versions.messages_invalid",
			    "messages");
		if (n > MESSAGES_MAX_COUNT)
			return pm_refuse(f, PM_INVALID, "versions.messages_too_many",
			    "messages");
		a = json_object_new_array();
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(m, i);
			struct json_object *role, *content, *o;
			const char *r;

			if (!json_object_is_type(e, json_type_object) ||
			    !json_object_object_get_ex(e, "role", &role) ||
			    !is_str(role) ||
			    !json_object_object_get_ex(e, "content", &content) ||
			    !is_str(content) || json_object_object_length(e) != 2) {
				json_object_put(a);
				return pm_refuse(f, PM_INVALID,
				    "versions.messages_invalid", "messages");
			}
			r = json_object_get_string(role);
			if (strcmp(r, "system") && strcmp(r, "user") &&
			    strcmp(r, "assistant")) {
				json_object_put(a);
				return pm_refuse(f, PM_INVALID, "versions.role_invalid",
				    "messages");
			}
			total += (size_t)json_object_get_string_len(content);
			o = json_object_new_object();
			json_object_object_add(o, "role", json_object_new_string(r));
			json_object_object_add(o, "content",
			    json_object_get(content));
			json_object_array_add(a, o);
		}
	} else if (json_object_object_get_ex(in, "system", &sys) ||
	    json_object_object_get_ex(in, "user_template", &user)) {
		json_object_object_get_ex(in, "user_template", &user);
		if ((sys != NULL && !is_str(sys)) || (user != NULL && !is_str(user)))
			return pm_refuse(f, PM_INVALID, "versions.messages_invalid",
			    "user_template");
		if (user == NULL || json_object_get_string_len(user) == 0 ||
		    strspn(json_object_get_string(user), " \t\r\n") ==
		    (size_t)json_object_get_string_len(user))
			return pm_refuse(f, PM_INVALID, "versions.user_required",
			    "user_template");
		a = json_object_new_array();
		/* Editing without "system" keeps the previous system message;
		 * "system": "" removes it. */
		if (sys == NULL && base != NULL &&
		    json_object_object_get_ex(base, "messages", &m) &&
		    json_object_array_length(m) > 0) {
			struct json_object *first = json_object_array_get_idx(m, 0);
			if (strcmp(json_object_get_string(json_object_object_get(first,
			    "role")), "system") == 0)
				sys = json_object_object_get(first, "content");
		}
		if (sys != NULL && json_object_get_string_len(sys) > 0) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "role", json_object_new_string("system"));
			json_object_object_add(o, "content", json_object_get(sys));
			json_object_array_add(a, o);
			total += (size_t)json_object_get_string_len(sys);
		}
		{
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "role", json_object_new_string("user"));
			json_object_object_add(o, "content", json_object_get(user));
			json_object_array_add(a, o);
			total += (size_t)json_object_get_string_len(user);
		}
	} else if (base != NULL &&
	    json_object_object_get_ex(base, "messages", &m)) {
		a = json_object_get(m);
	} else
		return pm_refuse(f, PM_INVALID, "versions.messages_required",
		    "messages");
	if (total > MESSAGES_MAX_BYTES) {
		json_object_put(a);
		return pm_refuse(f, PM_TOOBIG, "versions.messages_too_large",
		    "messages");
	}
	*out = a;
	return 0;
}

static int model_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 3 || n > MODEL_ID_MAX || strchr(s, '/') == NULL || s[0] == '/')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr("-._:/", s[i])))
			return 0;
	return 1;
}

/* params: temperature 0-2, top_p 0-1, max_tokens 1-1000000, stop: a string
 * or up to 4 strings. Unknown keys are refused (a typo must not be
 * silently ignored). */
static int build_params(struct json_object *p, struct json_object **out,
    struct pm_fail *f)
{
	struct json_object *o = json_object_new_object();

	if (!json_object_is_type(p, json_type_object)) {
		json_object_put(o);
		return pm_refuse(f, PM_INVALID, "versions.params_invalid", "params");
	}
	json_object_object_foreach(p, key, v) {
		const char *bad = NULL;

		if (v == NULL)
			continue;
		if (strcmp(key, "temperature") == 0) {
			if (!is_num(v) || json_object_get_double(v) < 0 ||
			    json_object_get_double(v) > 2)
				bad = "versions.temperature_invalid";
		} else if (strcmp(key, "top_p") == 0) {
			if (!is_num(v) || json_object_get_double(v) <= 0 ||
			    json_object_get_double(v) > 1)
				bad = "versions.top_p_invalid";
		} else if (strcmp(key, "max_tokens") == 0) {
			if (!json_object_is_type(v, json_type_int) ||
			    json_object_get_int64(v) < 1 ||
			    json_object_get_int64(v) > 1000000)
				bad = "versions.max_tokens_invalid";
		} else if (strcmp(key, "stop") == 0) {
			if (json_object_is_type(v, json_type_array)) {
				size_t i, n = json_object_array_length(v);
				if (n > 4)
					bad = "versions.stop_invalid";
				for (i = 0; i < n && !bad; i++) {
					struct json_object *s = json_object_array_get_idx(v, i);
					if (!is_str(s) || json_object_get_string_len(s) == 0 ||
					    json_object_get_string_len(s) > 100)
						bad = "versions.stop_invalid";
				}
			} else if (!is_str(v) || json_object_get_string_len(v) == 0 ||
			    json_object_get_string_len(v) > 100)
				bad = "versions.stop_invalid";
		} else
			bad = "versions.param_unknown";
		if (bad != NULL) {
			json_object_put(o);
			pm_refuse(f, PM_INVALID, bad, "params");
			pm_fail_arg(f, "param", "%.60s", key);
			return PM_INVALID;
		}
		json_object_object_add(o, key, json_object_get(v));
	}
	*out = o;
	return 0;
}

/* The declarations of decls whose variable is still among names: an edit
 * that drops a placeholder drops its inherited declaration too. */
static struct json_object *still_used(struct json_object *decls,
    struct json_object *names)
{
	struct json_object *a = json_object_new_array();
	size_t i, j;

	if (!json_object_is_type(decls, json_type_array))
		return a;
	for (i = 0; i < json_object_array_length(decls); i++) {
		struct json_object *d = json_object_array_get_idx(decls, i);
		const char *n = json_object_get_string(json_object_object_get(d, "name"));

		for (j = 0; n != NULL && j < json_object_array_length(names); j++)
			if (strcmp(n, json_object_get_string(
			    json_object_array_get_idx(names, j))) == 0) {
				json_object_array_add(a, json_object_get(d));
				break;
			}
	}
	return a;
}

int version_content(struct json_object *in, struct json_object *base,
    struct json_object **out, struct pm_fail *f)
{
	struct json_object *msgs = NULL, *params = NULL, *decls = NULL, *v;
	struct json_object *names, *given = NULL, *o;
	struct vars_errors ve = { 0 };
	const char *model = NULL, *commit = "";
	size_t i;
	int rc;

	if (in == NULL || !json_object_is_type(in, json_type_object))
		return pm_refuse(f, PM_INVALID, "prompts.body_object", NULL);
	if ((rc = build_messages(in, base, &msgs, f)) != 0)
		return rc;
	if (json_object_object_get_ex(in, "model", &v) && v != NULL) {
		if (!is_str(v) || !model_valid(json_object_get_string(v))) {
			json_object_put(msgs);
			return pm_refuse(f, PM_INVALID, "versions.model_invalid", "model");
		}
		model = json_object_get_string(v);
	} else if (base != NULL && json_object_object_get_ex(base, "model", &v))
		model = json_object_get_string(v);
	if (model == NULL) {
		json_object_put(msgs);
		return pm_refuse(f, PM_INVALID, "versions.model_required", "model");
	}
	if (json_object_object_get_ex(in, "params", &v) && v != NULL)
		rc = build_params(v, &params, f);
	else if (base != NULL && json_object_object_get_ex(base, "params", &v))
		params = json_object_get(v);
	else
		params = json_object_new_object();
	if (rc != 0) {
		json_object_put(msgs);
		return rc;
	}
	if (json_object_object_get_ex(in, "commit_message", &v) && v != NULL) {
		if (!is_str(v) || utf8_len(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v)) > COMMIT_MAX) {
			json_object_put(msgs);
			json_object_put(params);
			return pm_refuse(f, PM_INVALID, "versions.commit_too_long",
			    "commit_message");
		}
		commit = json_object_get_string(v);
	}
	/* Variables: detected in every message, declared from the input or,
	 * when editing without declarations, from the previous version. */
	names = json_object_new_array();
	for (i = 0; i < json_object_array_length(msgs); i++) {
		struct json_object *c = json_object_object_get(
		    json_object_array_get_idx(msgs, i), "content");
		vars_scan(json_object_get_string(c),
		    (size_t)json_object_get_string_len(c), (int)i, names, &ve);
	}
	if (ve.n == 0) {
		if (json_object_object_get_ex(in, "variables", &v) && v != NULL)
			given = json_object_get_boolean(json_object_object_get(in,
			    "prune_variables")) ? still_used(v, names) :
			    json_object_get(v);
		else if (base != NULL &&
		    json_object_object_get_ex(base, "variables", &v))
			given = still_used(v, names);
		vars_normalize_decls(names, given, &decls, &ve);
		json_object_put(given);
	}
	json_object_put(names);
	if (ve.n > 0) {
		json_object_put(msgs);
		json_object_put(params);
		json_object_put(decls);
		return vars_fail(&ve, f, "messages");
	}
	o = json_object_new_object();
	json_object_object_add(o, "messages", msgs);
	json_object_object_add(o, "model", json_object_new_string(model));
	json_object_object_add(o, "params", params);
	json_object_object_add(o, "variables", decls);
	json_object_object_add(o, "commit_message", json_object_new_string(commit));
	*out = o;
	return 0;
}

