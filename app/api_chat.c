/* api_chat.c - POST /api/v1/chat/completions: the OpenAI-compatible
 * endpoint, so that a program using an OpenAI SDK works by changing only
 * its base URL and key.
 *
 * "model" names a model of the catalog, or a managed prompt:
 * "prompt:<slug>" runs its PRODUCTION version ("prompt:<slug>@<n>" version
 * n) with the "variables" member, the caller's messages (which may be
 * empty) following the rendered ones. The documented chat parameters
 * (routes.c lists them: an unknown one is refused naming it) go to the
 * provider as they are; tool calls come back as they are, streamed or not.
 * The answer is the provider's chat.completion, or its chunks ending in
 * "data: [DONE]", with "model" naming the model actually used; usage
 * comes in a last chunk when stream_options.include_usage asks for it.
 * Errors are OpenAI's shape (RF_OPENAI). Same pipeline, checks and
 * counters as every run, channel API. */
#include <string.h>

#include "answer.h"
#include "event_stream.h"
#include "execute.h"
#include "handlers.h"
#include "http.h"
#include "jsonx.h"
#include "models.h"
#include "prompts.h"
#include "util.h"

#define PROMPT_PREFIX "prompt:"

/* The members of the request that are not passed through as they are. */
static const char *const own_members[] = {
	"model", "messages", "stream", "stream_options", "variables",
	"max_tokens", "max_completion_tokens", NULL
};

struct chat_stream {
	struct run_stream	 rs;	/* first: stream_cancel() takes it */
	char			 model[MODEL_ID_MAX + 1];	/* used */
	int			 usage;	/* stream_options.include_usage */
	int			 failed;	/* a chunk the provider marked failed */
};

static int own(const char *k)
{
	const char *const *m;

	for (m = own_members; *m != NULL; m++)
		if (strcmp(*m, k) == 0)
			return 1;
	return 0;
}

/* Refuse with the sentence key (its {name} placeholders from the pairs)
 * about param. Returns PM_INVALID. */
static int bad(struct pm_fail *f, const char *key, const char *param)
{
	return pm_refuse(f, PM_INVALID, key, param);
}

/* The messages: an array of objects, each with a known role. Returns 0
 * or PM_INVALID naming the message. */
static int messages_check(json_object *m, int may_be_empty, struct pm_fail *f)
{
	static const char *const roles[] = { "system", "developer", "user",
	    "assistant", "tool", "function", NULL };
	const char *const *k;
	const char *role;
	size_t i, n;

	if (!json_object_is_type(m, json_type_array))
		return bad(f, may_be_empty ? "chat.messages_type" :
		    "chat.messages_missing", "messages");
	if ((n = json_object_array_length(m)) == 0 && !may_be_empty)
		return bad(f, "chat.messages_missing", "messages");
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(m, i);

		role = json_str_member(e, "role", NULL);
		for (k = roles; role != NULL && *k != NULL; k++)
			if (strcmp(*k, role) == 0)
				break;
		if (!json_object_is_type(e, json_type_object) || role == NULL ||
		    *k == NULL) {
			bad(f, "chat.message_role", "messages");
			pm_fail_arg(f, "n", "%zu", i);
			return PM_INVALID;
		}
	}
	return 0;
}

/* "prompt:<slug>[@<n>]" into slug (SLUG_MAX + 1 bytes) and version (0:
 * production). Returns 1 for a prompt, 0 for a model, or PM_INVALID. */
static int prompt_ref(const char *model, char *slug, int *version,
    struct pm_fail *f)
{
	const char *s = model + strlen(PROMPT_PREFIX), *at = strchr(s, '@');
	size_t n = at ? (size_t)(at - s) : strlen(s);
	int64_t v = 0;

	if (strncmp(model, PROMPT_PREFIX, strlen(PROMPT_PREFIX)) != 0)
		return 0;
	if (n == 0 || n > SLUG_MAX || (at != NULL &&
	    parse_i64(at + 1, 1, 1000000000, &v) != 0))
		return bad(f, "chat.prompt_ref", "model");
	memcpy(slug, s, n);
	slug[n] = '\0';
	if (!slug_valid(slug))
		return bad(f, "chat.prompt_ref", "model");
	*version = (int)v;
	return 1;
}

/* Fill in from the request body; slug is the prompt's when one is named.
 * Returns 0 or PM_INVALID. */
static int chat_input(struct req *r, struct exec_input *in, char *slug,
    struct chat_stream *cs, struct pm_fail *f)
{
	json_object *b = r->json, *v;
	const char *model = json_str_member(b, "model", NULL);
	int is_prompt, rc;

	if ((is_prompt = prompt_ref(model, slug, &in->version, f)) < 0)
		return is_prompt;
	in->slug = is_prompt ? slug : NULL;
	in->model = is_prompt ? NULL : model;
	in->messages = json_member(b, "messages");
	if ((rc = messages_check(in->messages, is_prompt, f)) != 0 &&
	    !(is_prompt && in->messages == NULL))
		return rc;
	if ((in->variables = json_member(b, "variables")) != NULL && !is_prompt)
		return bad(f, "chat.variables_without_prompt", "variables");
	if ((v = json_member(b, "max_completion_tokens")) != NULL ||
	    (v = json_member(b, "max_tokens")) != NULL)
		in->max_tokens = json_object_get_int64(v);
	in->stream = json_object_get_boolean(json_member(b, "stream"));
	cs->usage = json_object_get_boolean(json_member(json_member(b,
	    "stream_options"), "include_usage"));
	/* Everything else goes to the provider as it was sent. */
	in->extra = json_object_new_object();
	json_object_object_foreach(b, k, val) {
		if (!own(k))
			json_object_object_add(in->extra, k, json_object_get(val));
	}
	return 0;
}

/* The run is admitted: the stream may begin. Pieces of text are ignored:
 * the chunks carry them. */
static int chat_start(void *arg, const char *text, size_t len)
{
	struct chat_stream *cs = arg;

	(void)text;
	(void)len;
	return stream_begin(&cs->rs);
}

/* One "data:" line of an event stream. Returns non-zero when the client
 * is gone. */
static int data_line(struct chat_stream *cs, json_object *o)
{
	struct buf b = { 0 };
	int rc;

	buf_printf(&b, "data: %s\n\n", json_to_text(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, NULL));
	rc = resp_stream_write(cs->rs.r, b.data, b.len);
	buf_free(&b);
	return rc;
}

/* A chunk of the provider's stream, passed on with the model used; usage
 * only when asked for (a chunk left with nothing is dropped); a chunk
 * that reports an error is not passed on (the end says what failed). */
static int chat_chunk(void *arg, json_object *chunk)
{
	struct chat_stream *cs = arg;
	json_object *choices;

	if (json_member(chunk, "error") != NULL) {
		cs->failed = 1;
		return 0;
	}
	json_object_object_add(chunk, "model", json_object_new_string(cs->model));
	if (!cs->usage && json_member(chunk, "usage") != NULL) {
		json_object_object_del(chunk, "usage");
		choices = json_member(chunk, "choices");
		if (!json_object_is_type(choices, json_type_array) ||
		    json_object_array_length(choices) == 0)
			return 0;
	}
	return data_line(cs, chunk) != 0;
}

/* The end of a stream: "data: [DONE]", or an error in OpenAI's shape. */
static void chat_stream_end(struct chat_stream *cs, int rc, struct pm_fail *f)
{
	const struct err_info *k = err_info(rc);
	json_object *o, *e;
	struct buf m = { 0 };

	if (rc == 0) {
		resp_stream_write(cs->rs.r, "data: [DONE]\n\n", 14);
	} else {
		pm_fail_text(rc, f, &m);
		o = json_object_new_object();
		e = json_object_new_object();
		json_object_object_add(e, "message",
		    json_object_new_string(buf_cstr(&m)));
		json_object_object_add(e, "type", json_object_new_string(k->type));
		json_object_object_add(e, "param", NULL);
		json_object_object_add(e, "code", f->key ?
		    json_object_new_string(f->key) : NULL);
		json_object_object_add(o, "error", e);
		data_line(cs, o);
		json_object_put(o);
		buf_free(&m);
		pm_fail_clear(f);
	}
	cs->rs.r->done = 1;
}

void h_api_chat_completions(struct req *r)
{
	struct chat_stream cs = { .rs = { .r = r } };
	struct exec_input in;
	struct pm_fail f = { 0 };
	char slug[SLUG_MAX + 1];
	json_object *result = NULL, *doc;
	int64_t id = 0;
	int rc;

	run_input_of(r, &in, "API");
	if ((rc = chat_input(r, &in, slug, &cs, &f)) != 0) {
		json_object_put(in.extra);
		answer_fail(r, rc, &f);
		return;
	}
	cs.rs.exec_id = &id;
	in.model_out = cs.model;
	if (in.stream) {
		in.on_delta = chat_start;
		in.on_chunk = chat_chunk;
	} else
		in.keep_doc = 1;
	in.should_cancel = stream_cancel;
	in.arg = &cs;
	in.rate_out = &cs.rs.rate;
	rc = run_execute(r, &in, &result, &id, &f);
	json_object_put(in.extra);
	if (in.stream && cs.rs.started) {
		chat_stream_end(&cs, rc, &f);
		json_object_put(result);
		return;
	}
	if (rc != 0) {
		answer_fail(r, rc, &f);
		return;
	}
	/* the provider's answer, naming the model actually used */
	doc = json_object_get(json_member(result, "completion"));
	json_object_object_add(doc, "model", json_object_get(json_member(result,
	    "model")));
	json_object_put(result);
	resp_header(r, "X-Execution-Id", "%lld", (long long)id);
	rate_headers(r, &cs.rs.rate);
	resp_json(r, 200, doc);
}
