/* test_byok.c - the pure parts of BYOK: the providers table, the shape of
 * each provider's keys, custom base URLs (no private network unless
 * allowed), model names at a provider, and the routing rule (hybrid mode,
 * pins). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "byok.h"
#include "config.h"
#include "error.h"
#include "msg.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct config conf;

/* The sentence of a refusal, with its arguments. */
static const char *text_of(int rc, struct pm_fail *f)
{
	static struct buf b;

	buf_reset(&b);
	pm_fail_text(rc, f, &b);
	return buf_cstr(&b);
}

static void test_table(void **state)
{
	static const char *const names[] = { "openrouter", "openai", "anthropic",
	    "google", "groq", "deepseek", "together", "custom" };
	size_t i;

	(void)state;
	assert_int_equal(byok_nproviders, 8);
	for (i = 0; i < 8; i++) {
		const struct byok_provider *p = byok_provider(names[i]);

		assert_non_null(p);
		assert_ptr_equal(p, &byok_providers[i]);	/* OpenRouter first */
		assert_true(p->check_path[0] == '/');
		assert_true(strlen(p->name) <= BYOK_PROVIDER_MAX);
		/* each fixed base URL is https */
		if (p->base_url != NULL)
			assert_int_equal(strncmp(p->base_url, "https://", 8), 0);
	}
	assert_string_equal(byok_provider("openrouter")->check_path, "/key");
	assert_string_equal(byok_provider("openai")->check_path, "/models");
	assert_null(byok_provider("azure"));
	assert_null(byok_provider(NULL));
	assert_true(byok_provider("custom")->needs_url);
}

static void test_key_shapes(void **state)
{
	const struct byok_provider *or = byok_provider("openrouter");
	const struct byok_provider *oa = byok_provider("openai");
	struct pm_fail f = { 0 };
	int rc;

	(void)state;
	assert_int_equal(byok_key_check(or, "sk-or-v1-" HEX64, &f), 0);
	assert_int_equal(byok_key_check(oa, "sk-proj-abc_DEF-0123456789xyz", &f), 0);
	assert_int_equal(byok_key_check(byok_provider("anthropic"),
	    "sk-ant-api03-" HEX64, &f), 0);
	assert_int_equal(byok_key_check(byok_provider("google"),
	    "AIzaSyA-0123456789abcdefghijklmnopqrs", &f), 0);
	assert_int_equal(byok_key_check(byok_provider("groq"), "gsk_" HEX64, &f), 0);
	assert_int_equal(byok_key_check(byok_provider("custom"), "ollama", &f), 0);

	rc = byok_key_check(or, "", &f);
	assert_int_equal(rc, PM_INVALID);
	assert_string_equal(f.field, "key");
	assert_string_equal(f.key, "byok.key_empty");
	/* a space, a wrong tag, too short, a quote: malformed, never quoted */
	rc = byok_key_check(or, "sk-or-v1-" HEX64 " ", &f);
	assert_int_equal(rc, PM_INVALID);
	assert_string_equal(f.key, "byok.key_malformed");
	assert_string_equal(text_of(rc, &f), "This is not a valid key for OpenRouter: such a key looks"
	    " like sk-or-v1-… (letters and digits, no spaces). Nothing was saved.");
	assert_int_equal(byok_key_check(or, "sk-or-v2-" HEX64, &f), PM_INVALID);
	assert_int_equal(byok_key_check(or, "sk-or-v1-abc", &f), PM_INVALID);
	assert_int_equal(byok_key_check(or, "sk-or-v1-" HEX64 "\"", &f), PM_INVALID);
	assert_int_equal(byok_key_check(or, "SK-OR-V1-" HEX64, &f), PM_INVALID);
	/* another provider's key */
	rc = byok_key_check(oa, "sk-or-v1-" HEX64, &f);
	assert_int_equal(rc, PM_INVALID);
	assert_string_equal(f.key, "byok.key_other_provider");
	assert_null(strstr(text_of(rc, &f), HEX64));
	assert_int_equal(byok_key_check(byok_provider("custom"), "a b", &f),
	    PM_INVALID);
}

static void test_urls(void **state)
{
	struct pm_fail f = { 0 };
	static const char *const private_urls[] = {
		"https://127.0.0.1/v1", "https://10.1.2.3/v1",
		"https://192.168.1.1:8443/v1", "https://172.16.0.9/v1",
		"https://169.254.169.254/latest", "https://100.64.1.1/v1",
		"https://[::1]/v1", "https://[fd00::1]/v1", "https://[fe80::1]/v1",
		"https://[::ffff:127.0.0.1]/v1", "https://0.0.0.0/v1",
		"https://localhost/v1",
	};
	size_t i;

	(void)state;
	assert_int_equal(byok_url_check("https://93.184.215.14/v1", 0, &f), 0);
	assert_int_equal(byok_url_check("https://[2606:4700::1111]/v1", 0, &f), 0);
	for (i = 0; i < sizeof(private_urls) / sizeof(private_urls[0]); i++) {
		assert_int_equal(byok_url_check(private_urls[i], 0, &f), PM_INVALID);
		assert_string_equal(f.key, "byok.url_private");
		assert_string_equal(f.field, "base_url");
		/* allowed on a host that says so, http too */
		assert_int_equal(byok_url_check(private_urls[i], 1, &f), 0);
	}
	assert_int_equal(byok_url_check("http://93.184.215.14/v1", 0, &f), PM_INVALID);
	assert_string_equal(f.key, "byok.url_https");
	assert_int_equal(byok_url_check("http://127.0.0.1:11434/v1", 1, &f), 0);
	assert_int_equal(byok_url_check("ftp://93.184.215.14/v1", 1, &f), PM_INVALID);
	assert_string_equal(f.key, "byok.url_scheme");
	assert_int_equal(byok_url_check("https://u:p@93.184.215.14/v1", 0, &f),
	    PM_INVALID);
	assert_string_equal(f.key, "byok.url_parts");
	assert_int_equal(byok_url_check("https://93.184.215.14/v1?x=1", 0, &f),
	    PM_INVALID);
	assert_int_equal(byok_url_check("", 0, &f), PM_INVALID);
	assert_string_equal(f.key, "byok.url_empty");
	assert_int_equal(byok_url_check("not a url", 1, &f), PM_INVALID);
	assert_int_equal(byok_url_check("https://no-such-host.invalid/v1", 0, &f),
	    PM_INVALID);
	assert_string_equal(f.key, "byok.url_unresolved");
}

static void test_model_names(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(byok_model_name(byok_provider("openai"), "openai/gpt-4o",
	    out, sizeof(out)), 0);
	assert_string_equal(out, "gpt-4o");
	assert_int_equal(byok_model_name(byok_provider("openai"),
	    "anthropic/claude-3-opus", out, sizeof(out)), -1);
	assert_int_equal(byok_model_name(byok_provider("openai"), "openai/",
	    out, sizeof(out)), -1);
	assert_int_equal(byok_model_name(byok_provider("openrouter"),
	    "anthropic/claude-3-opus", out, sizeof(out)), 0);
	assert_string_equal(out, "anthropic/claude-3-opus");
	assert_int_equal(byok_model_name(byok_provider("together"),
	    "meta-llama/llama-3.1-8b-instruct:free", out, sizeof(out)), 0);
	assert_string_equal(out, "meta-llama/llama-3.1-8b-instruct:free");
}

static void test_routing(void **state)
{
	const char *all[] = { "openrouter", "openai" };
	const char *oa[] = { "openai" };
	const char *or[] = { "openrouter" };
	const char *cu[] = { "custom", "groq" };

	(void)state;
	/* no key: the platform's */
	assert_int_equal(byok_route(NULL, 0, NULL, "openai/gpt-4o"), -1);
	/* hybrid: the model's provider first, OpenRouter for the rest */
	assert_int_equal(byok_route(all, 2, NULL, "openai/gpt-4o"), 1);
	assert_int_equal(byok_route(all, 2, NULL, "anthropic/claude-3-opus"), 0);
	assert_int_equal(byok_route(oa, 1, NULL, "anthropic/claude-3-opus"), -1);
	assert_int_equal(byok_route(oa, 1, "", "openai/gpt-4o-mini"), 0);
	assert_int_equal(byok_route(or, 1, NULL, "openai/gpt-4o"), 0);
	/* pins */
	assert_int_equal(byok_route(all, 2, BYOK_PIN_SYSTEM, "openai/gpt-4o"), -1);
	assert_int_equal(byok_route(all, 2, "openrouter", "openai/gpt-4o"), 0);
	assert_int_equal(byok_route(all, 2, "openai", "anthropic/claude-3-opus"), -2);
	/* a pin whose key is gone: automatic */
	assert_int_equal(byok_route(or, 1, "openai", "openai/gpt-4o"), 0);
	assert_int_equal(byok_route(oa, 1, "anthropic", "anthropic/x"), -1);
	/* providers without a prefix only when pinned */
	assert_int_equal(byok_route(cu, 2, NULL, "openai/gpt-4o"), -1);
	assert_int_equal(byok_route(cu, 2, "custom", "openai/gpt-4o"), 0);
	assert_int_equal(byok_route(cu, 2, "groq", "meta-llama/x"), 1);
}

static void test_base_urls(void **state)
{
	char buf[600];

	(void)state;
	assert_string_equal(byok_base_url(byok_provider("openrouter"), NULL, buf,
	    sizeof(buf)), "https://openrouter.ai/api/v1");
	assert_string_equal(byok_base_url(byok_provider("openai"), NULL, buf,
	    sizeof(buf)), "https://api.openai.com/v1");
	assert_string_equal(byok_base_url(byok_provider("custom"),
	    "https://o.example/v1", buf, sizeof(buf)), "https://o.example/v1");
	free(conf.str[CFG_BYOK_PROVIDERS_BASE_URL]);
	conf.str[CFG_BYOK_PROVIDERS_BASE_URL] = strdup("http://127.0.0.1:9/provider");
	assert_string_equal(byok_base_url(byok_provider("openai"), NULL, buf,
	    sizeof(buf)), "http://127.0.0.1:9/provider/openai");
	assert_string_equal(byok_base_url(byok_provider("openrouter"), NULL, buf,
	    sizeof(buf)), "https://openrouter.ai/api/v1");
}

static void test_scrub(void **state)
{
	const char *key = "sk-abc123def456ghi789wxyz";
	char text[200];

	(void)state;
	snprintf(text, sizeof(text), "Incorrect API key provided: sk-abc12*****"
	    "*****wxyz. Or %s itself.", key);
	byok_scrub(text, key);
	assert_null(strstr(text, "sk-abc"));
	assert_null(strstr(text, "123def"));
	assert_non_null(strstr(text, "Incorrect API key provided: ********"));
	assert_non_null(strstr(text, "wxyz. Or "));	/* the last 4 may show */
	/* overlapping matches are all masked */
	snprintf(text, sizeof(text), "bad: sk-proj-AAAA");
	byok_scrub(text, "sk-proj-AAAAbbbbccccdddd");
	assert_string_equal(text, "bad: ************");
	snprintf(text, sizeof(text), "No auth credentials found");
	byok_scrub(text, key);
	assert_string_equal(text, "No auth credentials found");
	byok_scrub(text, "short");
	byok_scrub(text, NULL);
	assert_string_equal(text, "No auth credentials found");
}

int main(void)
{
	struct buf err = { 0 };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_key_shapes),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_model_names),
		cmocka_unit_test(test_routing),
		cmocka_unit_test(test_base_urls),
		cmocka_unit_test(test_scrub),
	};
	int rc;

	if (msg_load("templates", "en", &err) != 0) {
		fprintf(stderr, "%s (run from the repository root)\n", buf_cstr(&err));
		return 1;
	}
	if (config_load(&conf, NULL, &err) != 0) {
		fprintf(stderr, "%s\n", buf_cstr(&err));
		return 1;
	}
	cfg = &conf;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	config_free(&conf);
	msg_free();
	return rc;
}
