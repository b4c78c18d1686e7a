/* byok_providers.c - the providers of BYOK keys (see byok.h): the table,
 * the shape of their keys, custom base URLs, routing a catalog model to a
 * provider. No database, no secret kept. */
#include "byok.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "config.h"
#include "error.h"
#include "util.h"

const struct vault *byok_vault;

/* OpenRouter first: with an OpenRouter key, every model not served by
 * another key of the user goes through it. */
const struct byok_provider byok_providers[] = {
	{ "openrouter", "OpenRouter", NULL, "", "/key", BYOK_AUTH_BEARER,
	  "sk-or-v1-", 32, 200, BYOK_CS_ALNUM, NULL, "sk-or-v1-…", 0 },
	{ "openai", "OpenAI", "https://api.openai.com/v1", "openai/", "/models",
	  BYOK_AUTH_BEARER, "sk-", 20, 300, BYOK_CS_TOKEN, "sk-or-",
	  "sk-… or sk-proj-…", 0 },
	{ "anthropic", "Anthropic", "https://api.anthropic.com/v1", "anthropic/",
	  "/models", BYOK_AUTH_BEARER, "sk-ant-", 20, 300, BYOK_CS_TOKEN, NULL,
	  "sk-ant-…", 0 },
	{ "google", "Google (Gemini)",
	  "https://generativelanguage.googleapis.com/v1beta/openai", "google/",
	  "/models", BYOK_AUTH_BEARER, "AIza", 30, 100, BYOK_CS_TOKEN, NULL,
	  "AIza…", 0 },
	{ "groq", "Groq", "https://api.groq.com/openai/v1", NULL, "/models",
	  BYOK_AUTH_BEARER, "gsk_", 20, 200, BYOK_CS_ALNUM, NULL, "gsk_…", 0 },
	{ "deepseek", "DeepSeek", "https://api.deepseek.com/v1", "deepseek/",
	  "/models", BYOK_AUTH_BEARER, "sk-", 20, 200, BYOK_CS_ALNUM, "sk-or-",
	  "sk-…", 0 },
	{ "together", "Together AI", "https://api.together.xyz/v1", NULL,
	  "/models", BYOK_AUTH_BEARER, "", 20, 200, BYOK_CS_TOKEN, NULL,
	  "the key of your Together AI account", 0 },
	{ "custom", "OpenAI-compatible (Ollama…)", NULL, NULL, "/models",
	  BYOK_AUTH_BEARER_ANY, "", 1, BYOK_KEY_MAX, BYOK_CS_PRINT, NULL,
	  "any text if the server needs none (Ollama: ollama)", 1 },
};

const size_t byok_nproviders = NELEM(byok_providers);

const struct byok_provider *byok_provider(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < byok_nproviders; i++)
		if (strcmp(byok_providers[i].name, name) == 0)
			return &byok_providers[i];
	return NULL;
}

static int in_charset(int c, enum byok_charset cs)
{
	int alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');

	switch (cs) {
	case BYOK_CS_ALNUM:
		return alnum;
	case BYOK_CS_TOKEN:
		return alnum || c == '-' || c == '_';
	case BYOK_CS_PRINT:
		return c > ' ' && c < 0x7f;
	}
	return 0;
}

int byok_key_check(const struct byok_provider *p, const char *key,
    struct pm_fail *f)
{
	size_t tag = strlen(p->tag), n = key ? strlen(key) : 0, i;

	if (n == 0)
		return pm_refuse(f, PM_INVALID, "byok.key_empty", "key");
	if (p->not_tag != NULL &&
	    strncmp(key, p->not_tag, strlen(p->not_tag)) == 0) {
		pm_refuse(f, PM_INVALID, "byok.key_other_provider", "key");
		pm_fail_arg(f, "provider", "%s", p->label);
		return PM_INVALID;
	}
	if (n < tag || strncmp(key, p->tag, tag) != 0 || n - tag < p->min ||
	    n - tag > p->max)
		goto bad;
	for (i = tag; i < n; i++)
		if (!in_charset((unsigned char)key[i], p->charset))
			goto bad;
	return 0;
bad:
	pm_refuse(f, PM_INVALID, "byok.key_malformed", "key");
	pm_fail_arg(f, "provider", "%s", p->label);
	pm_fail_arg(f, "hint", "%s", p->hint);
	return PM_INVALID;
}

/* Whether the IPv4 address a (host order) is public. */
static int public_v4(uint32_t a)
{
	static const struct { uint32_t net, mask; } private[] = {
		{ 0x00000000, 0xff000000 },	/* 0/8 "this network" */
		{ 0x0a000000, 0xff000000 },	/* 10/8 */
		{ 0x64400000, 0xffc00000 },	/* 100.64/10 shared (CGNAT) */
		{ 0x7f000000, 0xff000000 },	/* 127/8 loopback */
		{ 0xa9fe0000, 0xffff0000 },	/* 169.254/16 link-local */
		{ 0xac100000, 0xfff00000 },	/* 172.16/12 */
		{ 0xc0000000, 0xffffff00 },	/* 192.0.0/24 */
		{ 0xc0a80000, 0xffff0000 },	/* 192.168/16 */
		{ 0xc6120000, 0xfffe0000 },	/* 198.18/15 benchmarking */
		{ 0xe0000000, 0xe0000000 },	/* 224/3 multicast, reserved */
	};
	size_t i;

	for (i = 0; i < NELEM(private); i++)
		if ((a & private[i].mask) == private[i].net)
			return 0;
	return 1;
}

/* Whether the IPv6 address a is public (a mapped IPv4 one as IPv4). */
static int public_v6(const unsigned char *a)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	static const unsigned char zero[16];

	if (memcmp(a, mapped, 12) == 0)
		return public_v4((uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 |
		    (uint32_t)a[14] << 8 | a[15]);
	if (memcmp(a, zero, 15) == 0)		/* :: and ::1 */
		return 0;
	if ((a[0] & 0xfe) == 0xfc ||		/* fc00::/7 unique local */
	    (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||	/* fe80::/10 */
	    a[0] == 0xff ||			/* multicast */
	    (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8))
		return 0;
	if (a[0] == 0 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b)
		return public_v4((uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 |
		    (uint32_t)a[14] << 8 | a[15]);	/* NAT64 */
	return 1;
}

/* Whether every address host resolves to is public. Returns 1, 0, or -1
 * when the name does not resolve. */
static int host_public(const char *host)
{
	struct addrinfo hints, *res = NULL, *ai;
	int pub = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL)
		return -1;
	for (ai = res; ai != NULL && pub; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			pub = public_v4(ntohl(((struct sockaddr_in *)
			    (void *)ai->ai_addr)->sin_addr.s_addr));
		else if (ai->ai_family == AF_INET6)
			pub = public_v6(((struct sockaddr_in6 *)
			    (void *)ai->ai_addr)->sin6_addr.s6_addr);
		else
			pub = 0;
	}
	freeaddrinfo(res);
	return pub;
}

/* Refuse the URL with the sentence key. */
static int bad_url(struct pm_fail *f, const char *key)
{
	return pm_refuse(f, PM_INVALID, key, "base_url");
}

int byok_url_check(const char *url, int allow_private, struct pm_fail *f)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *part = NULL;
	size_t n = url ? strlen(url) : 0;
	int rc = 0, pub;

	if (n == 0)
		return bad_url(f, "byok.url_empty");
	if (n > BYOK_URL_MAX || !text_valid(url, n) || strchr(url, ' ') != NULL)
		return bad_url(f, "byok.url_invalid");
	/* as written, not as a lenient parser reads it ("http:/host") */
	if (strncasecmp(url, "https://", 8) != 0 &&
	    strncasecmp(url, "http://", 7) != 0)
		return bad_url(f, allow_private ? "byok.url_scheme" :
		    "byok.url_https");
	if ((u = curl_url()) == NULL)
		return bad_url(f, "byok.url_invalid");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		rc = bad_url(f, "byok.url_invalid");
		goto out;
	}
	if (strcasecmp(scheme, "https") != 0 &&
	    (strcasecmp(scheme, "http") != 0 || !allow_private)) {
		rc = bad_url(f, allow_private ? "byok.url_scheme" :
		    "byok.url_https");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
		rc = bad_url(f, "byok.url_parts");
		goto out;
	}
	if (allow_private)
		goto out;
	/* An IPv6 literal comes in brackets. */
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	if ((pub = host_public(host)) < 0)
		rc = bad_url(f, "byok.url_unresolved");
	else if (pub == 0)
		rc = bad_url(f, "byok.url_private");
out:
	curl_free(part);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

const char *byok_base_url(const struct byok_provider *p, const char *user_url,
    char *buf, size_t n)
{
	const char *over = cfg_str(CFG_BYOK_PROVIDERS_BASE_URL);

	if (p->needs_url)
		return user_url ? user_url : "";
	if (p->base_url == NULL)
		return cfg_str(CFG_OPENROUTER_BASE_URL);
	if (*over == '\0')
		return p->base_url;
	snprintf(buf, n, "%s/%s", over, p->name);
	return buf;
}

int byok_model_name(const struct byok_provider *p, const char *model_id,
    char *out, size_t n)
{
	size_t plen;

	if (p->prefix == NULL || *p->prefix == '\0') {
		snprintf(out, n, "%s", model_id);
		return 0;
	}
	plen = strlen(p->prefix);
	if (strncmp(model_id, p->prefix, plen) != 0 || model_id[plen] == '\0')
		return -1;
	snprintf(out, n, "%s", model_id + plen);
	return 0;
}

void byok_scrub(char *text, const char *key)
{
	size_t tlen = text ? strlen(text) : 0, klen = key ? strlen(key) : 0;
	size_t i, j;
	char *orig, *hit;

	if (klen < 6 || tlen < 6)
		return;
	/* every match is found in the text as it came, then masked */
	orig = xstrndup(text, tlen);
	for (i = 0; i + 6 <= klen; i++)
		for (j = 0; j + 6 <= tlen; j = (size_t)(hit - orig) + 1) {
			if ((hit = memmem(orig + j, tlen - j, key + i, 6)) == NULL)
				break;
			memset(text + (hit - orig), '*', 6);
		}
	explicit_bzero(orig, tlen);
	free(orig);
}

int byok_route(const char *const names[], size_t n, const char *pin,
    const char *model_id)
{
	const struct byok_provider *p;
	char name[256];
	size_t i;
	int openrouter = -1;

	if (pin != NULL && strcmp(pin, BYOK_PIN_SYSTEM) == 0)
		return -1;
	for (i = 0; pin != NULL && *pin && i < n; i++)
		if (strcmp(names[i], pin) == 0) {
			p = byok_provider(pin);
			return p != NULL && byok_model_name(p, model_id, name,
			    sizeof(name)) == 0 ? (int)i : -2;
		}
	/* Automatic (a pin whose key is gone too): the provider of the
	 * model's prefix, else OpenRouter. */
	for (i = 0; i < n; i++) {
		if ((p = byok_provider(names[i])) == NULL)
			continue;
		if (p->prefix == NULL)
			continue;
		if (*p->prefix == '\0')
			openrouter = (int)i;
		else if (byok_model_name(p, model_id, name, sizeof(name)) == 0)
			return (int)i;
	}
	return openrouter;
}
