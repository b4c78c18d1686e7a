/* stripe.c - the Stripe API client: one call with its retries, the
 * idempotency key, Stripe's errors in words. */
#include "stripe.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "crypto.h"
#include "jsonx.h"
#include "log.h"
#include "msg.h"
#include "stripe_form.h"
#include "upstream.h"
#include "util.h"

int stripe_configured(void)
{
	return cfg != NULL && *cfg_str(CFG_STRIPE_SECRET_KEY_FILE) != '\0';
}

int stripe_id_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n <= STRIPE_ID_MAX && strspn(s,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
	    == n;
}

void stripe_idempotency_key(const char *meaning, char out[68])
{
	unsigned char md[32];

	sha256(meaning, strlen(meaning), md);
	memcpy(out, "pm_", 3);
	hex_encode(md, sizeof(md), out + 3);
}

/* Copy text into out (size bytes) with control characters as spaces. */
static void clean(char *out, size_t size, const char *text)
{
	size_t i;

	snprintf(out, size, "%s", text ? text : "");
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = ' ';
}

/* The sentence of a declined card: by decline_code, then code. */
static const char *decline_key(const struct stripe_error *e)
{
	static const struct { const char *code, *key; } t[] = {
		{ "insufficient_funds", "stripe.decline_insufficient_funds" },
		{ "lost_card", "stripe.decline_lost" },
		{ "stolen_card", "stripe.decline_lost" },
		{ "expired_card", "stripe.decline_expired" },
		{ "incorrect_cvc", "stripe.decline_cvc" },
		{ "incorrect_number", "stripe.decline_number" },
		{ "card_velocity_exceeded", "stripe.decline_velocity" },
		{ "processing_error", "stripe.decline_processing" },
	};
	size_t i;

	for (i = 0; i < NELEM(t); i++)
		if (strcmp(e->decline_code, t[i].code) == 0 ||
		    strcmp(e->code, t[i].code) == 0)
			return t[i].key;
	return "stripe.decline_generic";
}

int stripe_error_fail(long http_status, json_object *error,
    struct stripe_error *err, struct pm_fail *f)
{
	struct stripe_error local;
	struct stripe_error *e = err ? err : &local;
	int rc;

	e->http_status = http_status;
	clean(e->type, sizeof(e->type), json_str_member(error, "type", NULL));
	clean(e->code, sizeof(e->code), json_str_member(error, "code", NULL));
	clean(e->decline_code, sizeof(e->decline_code),
	    json_str_member(error, "decline_code", NULL));
	clean(e->param, sizeof(e->param), json_str_member(error, "param", NULL));
	clean(e->message, sizeof(e->message),
	    json_str_member(error, "message", NULL));

	if (strcmp(e->type, "card_error") == 0 || http_status == 402) {
		rc = pm_refuse(f, PM_INVALID, decline_key(e), NULL);
		pm_fail_arg(f, "message", "%s", e->message[0] ? e->message :
		    msg_get("stripe.no_message"));
	} else if (strcmp(e->type, "idempotency_error") == 0) {
		rc = pm_refuse(f, PM_CONFLICT, "stripe.idempotency", NULL);
	} else if (http_status == 404 || strcmp(e->code, "resource_missing") == 0) {
		rc = pm_refuse(f, PM_NOTFOUND, "stripe.not_found", NULL);
		pm_fail_arg(f, "message", "%s", e->message);
	} else if (http_status == 401 || http_status == 403 ||
	    strcmp(e->type, "authentication_error") == 0) {
		rc = pm_refuse(f, PM_UNAVAILABLE, "stripe.key_refused", NULL);
	} else if (http_status == 409 || http_status == 429 ||
	    strcmp(e->type, "rate_limit_error") == 0) {
		rc = pm_refuse(f, PM_BUSY, "stripe.busy", NULL);
		if (f != NULL)
			f->retry_after = 30;
	} else if (http_status >= 500 || strcmp(e->type, "api_error") == 0) {
		rc = pm_refuse(f, PM_UNAVAILABLE, "stripe.down", NULL);
		pm_fail_arg(f, "status", "%ld", http_status);
		if (f != NULL)
			f->retry_after = 30;
	} else {
		rc = pm_refuse(f, PM_UPSTREAM, e->param[0] ? "stripe.refused_param" :
		    "stripe.refused", NULL);
		pm_fail_arg(f, "message", "%s", e->message[0] ? e->message :
		    msg_get("stripe.no_reason"));
		pm_fail_arg(f, "param", "%s", e->param);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* One transfer */

struct answer {
	struct buf	 body;
	int		 too_big;
	int		 should_retry;	/* -1: not said, 0 false, 1 true */
	long		 retry_after;	/* seconds, -1: none */
	char		 request_id[64];
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct answer *a = arg;
	size_t n = size * nmemb;

	if (a->body.len + n > STRIPE_MAX_BODY) {
		a->too_big = 1;
		return 0;
	}
	buf_append(&a->body, p, n);
	return n;
}

/* The headers of the last response that retries look at (libcurl's
 * header API, 7.83 and later). */
static void read_headers(CURL *h, struct answer *a)
{
	struct curl_header *hd;
	int64_t secs;

	if (curl_easy_header(h, "Stripe-Should-Retry", 0, CURLH_HEADER, -1,
	    &hd) == CURLHE_OK)
		a->should_retry = strcasecmp(hd->value, "true") == 0;
	if (curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &hd) ==
	    CURLHE_OK && parse_i64(hd->value, 0, 3600, &secs) == 0)
		a->retry_after = (long)secs;
	if (curl_easy_header(h, "Request-Id", 0, CURLH_HEADER, -1, &hd) ==
	    CURLHE_OK)
		snprintf(a->request_id, sizeof(a->request_id), "%s", hd->value);
}

/* Sleep ms milliseconds. */
static void sleep_ms(long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* The pause before retry number attempt (1, 2 ...): 500 ms doubling, at
 * most 5 s, jittered to 50-100 %, at least Retry-After. */
static long backoff_ms(int attempt, long retry_after)
{
	unsigned char r;
	long ms = 500L << (attempt > 4 ? 4 : attempt - 1);

	if (ms > 5000)
		ms = 5000;
	rand_bytes(&r, 1);
	ms = ms / 2 + (ms / 2) * r / 255;
	if (retry_after > 0 && retry_after * 1000 > ms)
		ms = retry_after * 1000;
	return ms;
}

/* Whether a failed attempt is worth another: Stripe-Should-Retry when
 * said, else network errors, 409, 429 and 5xx. */
static int retryable(long status, const struct answer *a)
{
	if (a->should_retry >= 0)
		return a->should_retry;
	return status == 0 || status == 409 || status == 429 || status >= 500;
}

/* The key as an Authorization header; the caller wipes and frees it. */
static struct curl_slist *add_headers(const char *method, const char *key,
    const char *idem)
{
	struct curl_slist *l = NULL;
	struct buf h = { 0 };

	buf_printf(&h, "Authorization: Bearer %s", key);
	l = curl_slist_append(l, h.data);
	explicit_bzero(h.data, h.len);
	buf_free(&h);
	l = curl_slist_append(l, "Stripe-Version: " STRIPE_API_VERSION);
	l = curl_slist_append(l, "Accept: application/json");
	/* libcurl would add "Expect: 100-continue" to larger bodies. */
	l = curl_slist_append(l, "Expect:");
	if (idem != NULL) {
		char line[96];

		snprintf(line, sizeof(line), "Idempotency-Key: %s", idem);
		l = curl_slist_append(l, line);
	}
	if (strcmp(method, "POST") == 0)
		l = curl_slist_append(l,
		    "Content-Type: application/x-www-form-urlencoded");
	return l;
}

static void free_headers(struct curl_slist *list)
{
	struct curl_slist *l;

	for (l = list; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

/* The secret key, or NULL with the refusal in f. Caller wipes and frees. */
static char *read_key(struct pm_fail *f)
{
	struct buf why = { 0 };
	char *key;

	if (!stripe_configured()) {
		pm_refuse(f, PM_UNAVAILABLE, "stripe.not_configured", NULL);
		return NULL;
	}
	if ((key = config_read_secret(cfg_str(CFG_STRIPE_SECRET_KEY_FILE),
	    &why)) == NULL || *key == '\0') {
		log_error("stripe: %s", why.len ? buf_cstr(&why) :
		    "the secret key file is empty");
		free(key);
		buf_free(&why);
		pm_refuse(f, PM_UNAVAILABLE, "stripe.no_key", NULL);
		return NULL;
	}
	buf_free(&why);
	return key;
}

int stripe_call(const char *method, const char *path, json_object *params,
    const char *meaning, const struct stripe_opts *o, json_object **out,
    struct stripe_error *err, struct pm_fail *f)
{
	struct stripe_error local;
	struct stripe_error *e = err ? err : &local;
	struct buf url = { 0 }, form = { 0 }, m = { 0 };
	struct curl_slist *headers = NULL;
	struct answer a;
	char idem[68], errbuf[CURL_ERROR_SIZE];
	const char *base = cfg_str(CFG_STRIPE_BASE_URL);
	long timeout = o && o->timeout_ms > 0 ? o->timeout_ms :
	    (long)cfg_int(CFG_STRIPE_TIMEOUT_MS);
	int retries = o && o->max_retries != 0 ? (o->max_retries < 0 ? 0 :
	    o->max_retries) : (int)cfg_int(CFG_STRIPE_MAX_RETRIES);
	int is_post = strcmp(method, "POST") == 0, rc = PM_UNAVAILABLE;
	int64_t start = clock_mono_us(), t0;
	json_object *doc = NULL;
	CURL *h = NULL;
	CURLcode cc;
	char *key;
	long status = 0, left, pause;
	size_t n;

	*out = NULL;
	memset(e, 0, sizeof(*e));
	memset(&a, 0, sizeof(a));
	if ((key = read_key(f)) == NULL)
		return PM_UNAVAILABLE;
	stripe_form_encode(params, &form);
	for (n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
		;
	buf_append(&url, base, n);
	buf_puts(&url, path);
	if (!is_post && form.len > 0) {
		buf_putc(&url, '?');
		buf_append(&url, form.data, form.len);
	}
	if (is_post) {
		if (meaning == NULL) {
			buf_printf(&m, "%s %s?%s", method, path, buf_cstr(&form));
			meaning = buf_cstr(&m);
		}
		stripe_idempotency_key(meaning, idem);
	}
	if (upstream_global_init() != 0 || (h = curl_easy_init()) == NULL) {
		rc = pm_refuse(f, PM_UNAVAILABLE, "stripe.unreachable", NULL);
		goto out;
	}
	headers = add_headers(method, key, is_post ? idem : NULL);
	curl_easy_setopt(h, CURLOPT_URL, buf_cstr(&url));
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "prompt-manager/1");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (is_post) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, buf_cstr(&form));
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)form.len);
	} else if (strcmp(method, "DELETE") == 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");

	for (;;) {
		left = timeout - (long)((clock_mono_us() - start) / 1000);
		if (left <= 0) {
			rc = pm_refuse(f, PM_TIMEOUT, "stripe.timeout", NULL);
			pm_fail_arg(f, "seconds", "%ld", (timeout + 999) / 1000);
			break;
		}
		buf_reset(&a.body);
		a.too_big = 0;
		a.should_retry = -1;
		a.retry_after = -1;
		a.request_id[0] = '\0';
		errbuf[0] = '\0';
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, left);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
		    left < 5000 ? left : 5000L);
		t0 = clock_mono_us();
		cc = curl_easy_perform(h);
		e->attempts++;
		status = 0;
		if (cc == CURLE_OK) {
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
			read_headers(h, &a);
		}
		snprintf(e->request_id, sizeof(e->request_id), "%s", a.request_id);
		log_info("stripe %s %s: %ld%s%s in %lldms (attempt %d%s%s)", method,
		    path, status, cc != CURLE_OK ? " " : "", cc != CURLE_OK ?
		    curl_easy_strerror(cc) : "", (long long)((clock_mono_us() -
		    t0) / 1000), e->attempts, a.request_id[0] ? ", " : "",
		    a.request_id);
		if (cc == CURLE_OK && status >= 200 && status < 300) {
			doc = json_tokener_parse(buf_cstr(&a.body));
			if (!json_object_is_type(doc, json_type_object)) {
				json_object_put(doc);
				doc = NULL;
				rc = pm_refuse(f, PM_UPSTREAM, "stripe.bad_answer", NULL);
			} else
				rc = 0;
			break;
		}
		if (cc == CURLE_OK) {
			json_object *body = json_tokener_parse(buf_cstr(&a.body));

			rc = stripe_error_fail(status, json_member(body, "error"),
			    e, f);
			json_object_put(body);
		} else {
			e->http_status = 0;
			clean(e->message, sizeof(e->message), errbuf[0] ? errbuf :
			    curl_easy_strerror(cc));
			if (cc == CURLE_OPERATION_TIMEDOUT) {
				rc = pm_refuse(f, PM_TIMEOUT, "stripe.timeout", NULL);
				pm_fail_arg(f, "seconds", "%ld", (timeout + 999) / 1000);
			} else
				rc = pm_refuse(f, PM_UNAVAILABLE, "stripe.unreachable",
				    NULL);
		}
		if (a.too_big) {
			rc = pm_refuse(f, PM_UPSTREAM, "stripe.bad_answer", NULL);
			break;
		}
		if (e->attempts > retries || !retryable(status, &a))
			break;
		left = timeout - (long)((clock_mono_us() - start) / 1000);
		if ((pause = backoff_ms(e->attempts, a.retry_after)) >= left)
			break;
		sleep_ms(pause);
	}
	if (rc != 0)
		log_msg(e->http_status == 0 || e->http_status >= 500 ||
		    e->http_status == 401 ? LOG_WARN : LOG_INFO,
		    "stripe %s %s failed: %ld %s %s %s", method, path,
		    e->http_status, e->type, e->code, e->message);
out:
	*out = doc;
	free_headers(headers);
	if (h != NULL)
		curl_easy_cleanup(h);
	explicit_bzero(key, strlen(key));
	free(key);
	buf_free(&url);
	buf_free(&form);
	buf_free(&m);
	buf_free(&a.body);
	return rc;
}
