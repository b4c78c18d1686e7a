/* routes.c - the whole site in one table: method, path, handler, auth,
 * flags, and for the JSON API the table of each body's fields (checked
 * by the router before the handler runs; fields.h). Path parameters are
 * of the kind their name says (router.h). */
#include "fields.h"
#include "handlers.h"
#include "prompts.h"
#include "router.h"
#include "samples.h"
#include "util.h"

#define VERSION_MAX	1000000000
#define MAX_TOKENS_MAX	1000000

/* ------------------------------------------------------------ JSON bodies */

/* A body that must be absent or {}. */
static const struct field body_none[] = {
	{ NULL, 0, 0, 0, 0 }
};

/* The fields of a prompt (create and change). */
#define PROMPT_FIELDS \
	{ "name", FT_STRING, 0, 0, PROMPT_NAME_MAX }, \
	{ "slug", FT_STRING, FF_NULL, 0, SLUG_MAX }, \
	{ "description", FT_STRING, FF_NULL, 0, PROMPT_DESC_MAX }, \
	{ "category_id", FT_INT, FF_NULL, 0, INT64_MAX }

/* The content of a version (see version_content): messages, or system and
 * user_template; model, params, variable declarations, commit message. */
#define VERSION_FIELDS \
	{ "messages", FT_ARRAY, FF_NULL, 0, 0 }, \
	{ "system", FT_STRING, FF_NULL, 0, 0 }, \
	{ "user_template", FT_STRING, FF_NULL, 0, 0 }, \
	{ "model", FT_STRING, FF_NULL, 0, MODEL_ID_MAX }, \
	{ "params", FT_OBJECT, FF_NULL, 0, 0 }, \
	{ "variables", FT_ARRAY, FF_NULL, 0, 0 }, \
	{ "prune_variables", FT_BOOL, FF_NULL, 0, 0 }, \
	{ "commit_message", FT_STRING, FF_NULL, 0, COMMIT_MAX }

static const struct field body_prompt_create[] = {
	PROMPT_FIELDS,
	VERSION_FIELDS,
	{ NULL, 0, 0, 0, 0 }
};

static const struct field body_prompt_update[] = {
	PROMPT_FIELDS,
	{ NULL, 0, 0, 0, 0 }
};

static const struct field body_version_create[] = {
	VERSION_FIELDS,
	{ NULL, 0, 0, 0, 0 }
};

/* A regression run: the version, its model (default: the version's),
 * and whether to answer when it ends. */
static const struct field body_regression[] = {
	{ "version", FT_INT, FF_REQUIRED, 1, VERSION_MAX },
	{ "model", FT_STRING, FF_NULL, 1, MODEL_ID_MAX },
	{ "wait", FT_BOOL, FF_NULL, 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

/* A prompt's promotion gate (gate.h). */
static const struct field body_gate[] = {
	{ "required", FT_BOOL, 0, 0, 0 },
	{ "min_score", FT_NUMBER, FF_NULL, 0, 1 },
	{ "max_cost_micros", FT_INT, FF_NULL, 0, INT64_MAX },
	{ NULL, 0, 0, 0, 0 }
};

/* A model benchmark: the version, its models, one set of variable values
 * (default: every golden sample). */
static const struct field body_benchmark[] = {
	{ "version", FT_INT, FF_REQUIRED, 1, VERSION_MAX },
	{ "models", FT_ARRAY, FF_REQUIRED, 1, 8 },
	{ "variables", FT_OBJECT, FF_NULL, 0, 0 },
	{ "wait", FT_BOOL, FF_NULL, 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

/* A prompt export document (prompt_io.c checks its members). */
static const struct field body_prompt_import[] = {
	{ "format", FT_STRING, FF_REQUIRED, 0, 0 },
	{ "format_version", FT_INT, FF_REQUIRED, 0, 0 },
	{ "exported_at", FT_STRING, FF_NULL, 0, 0 },
	{ "prompt", FT_OBJECT, FF_REQUIRED, 0, 0 },
	{ "versions", FT_ARRAY, FF_REQUIRED, 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct field body_render[] = {
	{ "version", FT_INT, FF_NULL, 1, VERSION_MAX },
	{ "variables", FT_OBJECT, FF_NULL, 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct field body_execute[] = {
	{ "variables", FT_OBJECT, FF_NULL, 0, 0 },
	{ "version", FT_INT, 0, 1, VERSION_MAX },
	{ "model", FT_STRING, 0, 0, MODEL_ID_MAX },
	{ "max_tokens", FT_INT, 0, 1, MAX_TOKENS_MAX },
	{ "stream", FT_BOOL, 0, 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

/* OpenAI's chat parameters, passed through to the provider as they are
 * (api_chat.c), and "variables" for a managed prompt. */
static const struct field body_chat[] = {
	{ "model", FT_STRING, FF_REQUIRED, 1, MODEL_ID_MAX + 32 },
	{ "messages", FT_ARRAY, FF_NULL, 0, 10000 },
	{ "variables", FT_OBJECT, FF_NULL, 0, 0 },
	{ "stream", FT_BOOL, FF_NULL, 0, 0 },
	{ "stream_options", FT_OBJECT, FF_NULL, 0, 0 },
	{ "temperature", FT_NUMBER, FF_NULL, 0, 2 },
	{ "top_p", FT_NUMBER, FF_NULL, 0, 1 },
	{ "max_tokens", FT_INT, FF_NULL, 1, MAX_TOKENS_MAX },
	{ "max_completion_tokens", FT_INT, FF_NULL, 1, MAX_TOKENS_MAX },
	{ "stop", FT_ANY, FF_NULL, 0, 0 },
	{ "seed", FT_INT, FF_NULL, INT64_MIN, INT64_MAX },
	{ "frequency_penalty", FT_NUMBER, FF_NULL, -2, 2 },
	{ "presence_penalty", FT_NUMBER, FF_NULL, -2, 2 },
	{ "logit_bias", FT_OBJECT, FF_NULL, 0, 0 },
	{ "logprobs", FT_BOOL, FF_NULL, 0, 0 },
	{ "top_logprobs", FT_INT, FF_NULL, 0, 20 },
	{ "response_format", FT_OBJECT, FF_NULL, 0, 0 },
	{ "tools", FT_ARRAY, FF_NULL, 0, 512 },
	{ "tool_choice", FT_ANY, FF_NULL, 0, 0 },
	{ "parallel_tool_calls", FT_BOOL, FF_NULL, 0, 0 },
	{ "functions", FT_ARRAY, FF_NULL, 0, 512 },
	{ "function_call", FT_ANY, FF_NULL, 0, 0 },
	{ "user", FT_STRING, FF_NULL, 0, 256 },
	{ "n", FT_INT, FF_NULL, 1, 128 },
	{ "metadata", FT_OBJECT, FF_NULL, 0, 0 },
	{ "store", FT_BOOL, FF_NULL, 0, 0 },
	{ "modalities", FT_ARRAY, FF_NULL, 0, 8 },
	{ "audio", FT_OBJECT, FF_NULL, 0, 0 },
	{ "prediction", FT_OBJECT, FF_NULL, 0, 0 },
	{ "reasoning_effort", FT_STRING, FF_NULL, 0, 32 },
	{ "service_tier", FT_STRING, FF_NULL, 0, 32 },
	{ "web_search_options", FT_OBJECT, FF_NULL, 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

/* The fields of a golden sample (samples.h; the domain checks the
 * members of variables and checks, and what each sentence says). */
#define SAMPLE_FIELDS \
	{ "name", FT_STRING, 0, 0, SAMPLE_NAME_MAX }, \
	{ "variables", FT_OBJECT, FF_NULL, 0, 0 }, \
	{ "expected_output", FT_STRING, FF_NULL, 0, 0 }, \
	{ "threshold", FT_NUMBER, FF_NULL, 0, 1 }, \
	{ "judge_model", FT_STRING, FF_NULL, 0, MODEL_ID_MAX }, \
	{ "checks", FT_ARRAY, 0, 0, 0 }

static const struct field body_sample_create[] = {
	SAMPLE_FIELDS,
	{ "created_from_execution_id", FT_INT, FF_NULL, 1, INT64_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct field body_sample_update[] = {
	SAMPLE_FIELDS,
	{ NULL, 0, 0, 0, 0 }
};

/* A golden samples export document (samples.c checks each sample). */
static const struct field body_samples_import[] = {
	{ "format", FT_STRING, FF_NULL, 0, 0 },
	{ "prompt", FT_STRING, FF_NULL, 0, 0 },
	{ "exported_at", FT_STRING, FF_NULL, 0, 0 },
	{ "samples", FT_ARRAY, FF_REQUIRED, 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct field body_key_create[] = {
	{ "name", FT_STRING, FF_REQUIRED, 0, 100 },
	{ "scope", FT_STRING, FF_REQUIRED, 0, 10 },
	{ "expires_at", FT_INT, FF_NULL, 1, INT64_MAX },
	{ "monthly_spend_cap_micros", FT_INT, FF_NULL, 0, INT64_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct field body_category[] = {
	{ "name", FT_STRING, FF_REQUIRED, 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

/* ------------------------------------------------------------ the site */

const struct route routes[] = {
	/* Public pages */
	{ M_GET,  "/",                    h_home,            AUTH_NONE, 0, NULL },
	{ M_GET,  "/pricing",             h_pricing,         AUTH_NONE, 0, NULL },
	{ M_GET,  "/docs/api",            h_api_docs_page,   AUTH_NONE, 0, NULL },
	{ M_GET,  "/upgrade",             h_upgrade,         AUTH_NONE, 0, NULL },
	{ M_GET,  "/signup",              h_signup_form,     AUTH_NONE, 0, NULL },
	{ M_POST, "/signup",              h_signup,          AUTH_NONE, 0, NULL },
	{ M_GET,  "/login",               h_login_form,      AUTH_NONE, 0, NULL },
	{ M_POST, "/login",               h_login,           AUTH_NONE, 0, NULL },
	{ M_GET,  "/forgot-password",     h_forgot_form,     AUTH_NONE, 0, NULL },
	{ M_POST, "/forgot-password",     h_forgot,          AUTH_NONE, 0, NULL },
	{ M_GET,  "/reset-password",      h_reset_form,      AUTH_NONE, 0, NULL },
	{ M_POST, "/reset-password",      h_reset,           AUTH_NONE, 0, NULL },
	{ M_GET,  "/confirm-email",       h_email_confirm_form, AUTH_NONE, 0, NULL },
	{ M_POST, "/confirm-email",       h_email_confirm,   AUTH_NONE, 0, NULL },
	/* The mail a demo stack's local SMTP sink caught (page_demo_mail.c) */
	{ M_GET,  "/demo/mail",           h_demo_mail,       AUTH_NONE,
	  RF_DEMO_MAIL, NULL },

	/* The signed-in shell */
	{ M_POST, "/logout",              h_logout,          AUTH_USER, 0, NULL },
	{ M_GET,  "/dashboard",           h_dashboard,       AUTH_USER, 0, NULL },
	{ M_GET,  "/prompts",             h_prompts_page,    AUTH_USER, 0, NULL },
	{ M_POST, "/prompts",             h_prompt_create,   AUTH_USER, 0, NULL },
	{ M_GET,  "/prompts/new",         h_prompt_new_page, AUTH_USER, 0, NULL },
	{ M_GET,  "/prompts/import",      h_import_page,     AUTH_USER, 0, NULL },
	{ M_POST, "/prompts/import",      h_import,          AUTH_USER, 0, NULL },
	{ M_GET,  "/prompts/:slug",       h_prompt_page,     AUTH_USER, 0, NULL },
	{ M_GET,  "/prompts/:slug/settings", h_prompt_settings_page, AUTH_USER, 0, NULL },
	{ M_POST, "/prompts/:slug/settings", h_prompt_settings, AUTH_USER, 0, NULL },
	{ M_GET,  "/prompts/:slug/delete", h_prompt_delete_page, AUTH_USER, 0, NULL },
	{ M_POST, "/prompts/:slug/delete", h_prompt_delete,  AUTH_USER, 0, NULL },
	{ M_GET,  "/prompts/:slug/export", h_prompt_export_page, AUTH_USER, 0, NULL },
	{ M_GET,  "/prompts/:slug/edit",  h_version_new_page, AUTH_USER, 0, NULL },
	{ M_POST, "/prompts/:slug/versions", h_version_create, AUTH_USER, 0, NULL },
	{ M_GET,  "/prompts/:slug/versions/:n", h_version_page, AUTH_USER, 0, NULL },
	{ M_POST, "/prompts/:slug/versions/:n/promote", h_version_promote,
	  AUTH_USER, 0, NULL },
	{ M_POST, "/prompts/:slug/versions/:n/archive", h_version_archive,
	  AUTH_USER, 0, NULL },
	{ M_POST, "/prompts/:slug/versions/:n/regressions", h_regression_start,
	  AUTH_USER, 0, NULL },
	{ M_POST, "/prompts/:slug/trials", h_trial_start,   AUTH_USER, 0, NULL },
	{ M_GET,  "/prompts/:slug/regressions", h_regressions_page, AUTH_USER, 0,
	  NULL },
	{ M_POST, "/prompts/:slug/regressions", h_regression_start_form, AUTH_USER,
	  0, NULL },
	{ M_GET,  "/prompts/:slug/regressions/:id", h_regression_page, AUTH_USER,
	  0, NULL },
	{ M_POST, "/prompts/:slug/regressions/:id/stop", h_run_stop, AUTH_USER, 0,
	  NULL },
	{ M_POST, "/prompts/:slug/benchmarks/:id/stop", h_run_stop, AUTH_USER, 0,
	  NULL },
	{ M_GET,  "/prompts/:slug/benchmarks", h_benchmarks_page, AUTH_USER, 0,
	  NULL },
	{ M_POST, "/prompts/:slug/benchmarks", h_benchmark_start, AUTH_USER, 0,
	  NULL },
	{ M_GET,  "/prompts/:slug/benchmarks/:id", h_benchmark_page, AUTH_USER,
	  0, NULL },
	{ M_GET,  "/prompts/:slug/gate",  h_gate_page,       AUTH_USER, 0, NULL },
	{ M_POST, "/prompts/:slug/gate",  h_gate_save,       AUTH_USER, 0, NULL },
	{ M_GET,  "/prompts/:slug/history", h_history_page,  AUTH_USER, 0, NULL },
	{ M_GET,  "/prompts/:slug/diff",  h_diff_page,       AUTH_USER, 0, NULL },
	{ M_GET,  "/prompts/:slug/run",   h_run_page,        AUTH_USER, 0, NULL },
	{ M_POST, "/prompts/:slug/run",   h_run,             AUTH_USER, 0, NULL },
	{ M_GET,  "/prompts/:slug/run/:id", h_run_result,    AUTH_USER, 0, NULL },
	{ M_GET,  "/prompts/:slug/samples", h_samples_page,  AUTH_USER, 0, NULL },
	{ M_POST, "/prompts/:slug/samples", h_sample_create, AUTH_USER, 0, NULL },
	{ M_GET,  "/prompts/:slug/samples/new", h_sample_new_page, AUTH_USER, 0,
	  NULL },
	{ M_GET,  "/prompts/:slug/samples/export", h_samples_export, AUTH_USER, 0,
	  NULL },
	{ M_GET,  "/prompts/:slug/samples/import", h_samples_import_page,
	  AUTH_USER, 0, NULL },
	{ M_POST, "/prompts/:slug/samples/import", h_samples_import, AUTH_USER, 0,
	  NULL },
	{ M_GET,  "/prompts/:slug/samples/:id", h_sample_edit_page, AUTH_USER, 0,
	  NULL },
	{ M_POST, "/prompts/:slug/samples/:id", h_sample_update, AUTH_USER, 0,
	  NULL },
	{ M_GET,  "/prompts/:slug/samples/:id/delete", h_sample_delete_page,
	  AUTH_USER, 0, NULL },
	{ M_POST, "/prompts/:slug/samples/:id/delete", h_sample_delete,
	  AUTH_USER, 0, NULL },
	{ M_GET,  "/categories",          h_categories_page, AUTH_USER, 0, NULL },
	{ M_POST, "/categories",          h_category_create, AUTH_USER, 0, NULL },
	{ M_POST, "/categories/:id/rename", h_category_rename, AUTH_USER, 0, NULL },
	{ M_POST, "/categories/:id/delete", h_category_delete, AUTH_USER, 0, NULL },
	{ M_GET,  "/executions",          h_executions_page, AUTH_USER, 0, NULL },
	{ M_GET,  "/executions.csv",      h_executions_csv,  AUTH_USER, 0, NULL },
	{ M_GET,  "/executions/:id",      h_execution_page,  AUTH_USER, 0, NULL },
	{ M_GET,  "/analytics",           h_analytics,       AUTH_USER, 0, NULL },
	{ M_GET,  "/settings",            h_settings,        AUTH_USER, 0, NULL },
	{ M_POST, "/settings/password",   h_password_change, AUTH_USER, 0, NULL },
	{ M_GET,  "/settings/keys",       h_keys_page,       AUTH_USER, 0, NULL },
	{ M_POST, "/settings/keys",       h_key_create,      AUTH_USER, 0, NULL },
	{ M_POST, "/settings/keys/:id/revoke", h_key_revoke, AUTH_USER, 0, NULL },
	{ M_POST, "/settings/email",      h_email_change,    AUTH_USER, 0, NULL },
	{ M_POST, "/settings/email/cancel", h_email_change_cancel, AUTH_USER, 0,
	  NULL },
	{ M_GET,  "/settings/delete",     h_account_delete_form, AUTH_USER, 0,
	  NULL },
	{ M_POST, "/settings/delete",     h_account_delete,  AUTH_USER, 0, NULL },
	{ M_GET,  "/settings/byok",       h_byok_page,       AUTH_USER, 0, NULL },
	{ M_POST, "/settings/byok/test",  h_byok_test,       AUTH_USER, 0, NULL },
	{ M_POST, "/settings/byok/save",  h_byok_save,       AUTH_USER, 0, NULL },
	{ M_GET,  "/settings/byok/delete", h_byok_delete_page, AUTH_USER, 0, NULL },
	{ M_POST, "/settings/byok/delete", h_byok_delete,    AUTH_USER, 0, NULL },
	{ M_POST, "/prompts/:slug/byok",  h_prompt_byok_pin, AUTH_USER, 0, NULL },
	{ M_GET,  "/billing",             h_billing,         AUTH_USER, 0, NULL },
	{ M_POST, "/billing/checkout",    h_billing_checkout, AUTH_USER, 0, NULL },
	{ M_GET,  "/billing/success",     h_billing_success, AUTH_USER, 0, NULL },
	{ M_POST, "/billing/change",      h_billing_change,  AUTH_USER, 0, NULL },
	{ M_POST, "/billing/cancel",      h_billing_cancel,  AUTH_USER, 0, NULL },
	{ M_POST, "/billing/resume",      h_billing_resume,  AUTH_USER, 0, NULL },
	{ M_GET,  "/billing/cancel-now",  h_billing_cancel_now_page, AUTH_USER, 0,
	  NULL },
	{ M_POST, "/billing/cancel-now",  h_billing_cancel_now, AUTH_USER, 0, NULL },
	{ M_POST, "/billing/portal",      h_billing_portal,  AUTH_USER, 0, NULL },
	{ M_POST, "/billing/refund/retry", h_billing_refund_retry, AUTH_USER, 0,
	  NULL },
	{ M_GET,  "/admin",               h_admin,           AUTH_ADMIN, 0, NULL },
	{ M_POST, "/admin/models/free-tier", h_admin_free_tier, AUTH_ADMIN, 0, NULL },
	{ M_GET,  "/admin/billing/events", h_admin_billing_events, AUTH_ADMIN, 0,
	  NULL },
	{ M_POST, "/admin/billing/events/reapply", h_admin_billing_reapply,
	  AUTH_ADMIN, 0, NULL },

	/* JSON API */
	{ M_GET,  "/api/health",          h_health,          AUTH_NONE,
	  RF_NO_SESSION, NULL },
	{ M_GET,  "/api/openapi.json",    h_api_openapi,     AUTH_NONE,
	  RF_NO_SESSION, NULL },
	{ M_GET,  "/api/v1/me",           h_api_me,          AUTH_USER, 0, NULL },
	{ M_GET,  "/api/v1/models",       h_api_models,      AUTH_USER, 0, NULL },
	{ M_GET,  "/api/v1/billing/status", h_api_billing_status, AUTH_USER,
	  RF_SESSION_ONLY, NULL },
	{ M_GET,    "/api/v1/prompts",        h_api_prompts_list,   AUTH_USER, 0,
	  NULL },
	{ M_POST,   "/api/v1/prompts",        h_api_prompts_create, AUTH_USER, 0,
	  body_prompt_create },
	{ M_POST,   "/api/v1/prompts/import", h_api_prompts_import, AUTH_USER, 0,
	  body_prompt_import },
	{ M_GET,    "/api/v1/prompts/:slug",  h_api_prompt_get,     AUTH_USER, 0,
	  NULL },
	{ M_PATCH,  "/api/v1/prompts/:slug",  h_api_prompt_update,  AUTH_USER, 0,
	  body_prompt_update },
	{ M_DELETE, "/api/v1/prompts/:slug",  h_api_prompt_delete,  AUTH_USER, 0,
	  body_none },
	{ M_POST,   "/api/v1/prompts/:slug/render", h_api_prompt_render,
	  AUTH_USER, RF_READS, body_render },
	{ M_POST,   "/api/v1/prompts/:slug/execute", h_api_execute, AUTH_USER,
	  RF_EXECUTE,
	  body_execute },
	{ M_GET,    "/api/v1/prompts/:slug/export", h_api_prompt_export,
	  AUTH_USER, 0, NULL },
	{ M_GET,    "/api/v1/prompts/:slug/versions", h_api_versions_list,
	  AUTH_USER, 0, NULL },
	{ M_POST,   "/api/v1/prompts/:slug/versions", h_api_versions_create,
	  AUTH_USER, 0, body_version_create },
	{ M_GET,    "/api/v1/prompts/:slug/versions/:n", h_api_version_get,
	  AUTH_USER, 0, NULL },
	{ M_POST,   "/api/v1/prompts/:slug/versions/:n/promote",
	  h_api_version_promote, AUTH_USER, 0, body_none },
	{ M_POST,   "/api/v1/prompts/:slug/versions/:n/archive",
	  h_api_version_archive, AUTH_USER, 0, body_none },
	{ M_GET,    "/api/v1/prompts/:slug/samples", h_api_samples_list,
	  AUTH_USER, 0, NULL },
	{ M_POST,   "/api/v1/prompts/:slug/samples", h_api_samples_create,
	  AUTH_USER, 0, body_sample_create },
	{ M_GET,    "/api/v1/prompts/:slug/samples/export", h_api_samples_export,
	  AUTH_USER, 0, NULL },
	{ M_POST,   "/api/v1/prompts/:slug/samples/import", h_api_samples_import,
	  AUTH_USER, 0, body_samples_import },
	{ M_GET,    "/api/v1/prompts/:slug/samples/:id", h_api_sample_get,
	  AUTH_USER, 0, NULL },
	{ M_PATCH,  "/api/v1/prompts/:slug/samples/:id", h_api_sample_update,
	  AUTH_USER, 0, body_sample_update },
	{ M_DELETE, "/api/v1/prompts/:slug/samples/:id", h_api_sample_delete,
	  AUTH_USER, 0, body_none },
	{ M_GET,    "/api/v1/prompts/:slug/regressions", h_api_regressions_list,
	  AUTH_USER, 0, NULL },
	{ M_POST,   "/api/v1/prompts/:slug/regressions", h_api_regressions_create,
	  AUTH_USER, RF_EXECUTE, body_regression },
	{ M_GET,    "/api/v1/regressions/:id", h_api_regression_get, AUTH_USER, 0,
	  NULL },
	{ M_POST,   "/api/v1/regressions/:id/stop", h_api_regression_stop,
	  AUTH_USER, RF_EXECUTE, body_none },
	{ M_POST,   "/api/v1/benchmarks/:id/stop", h_api_benchmark_stop,
	  AUTH_USER, RF_EXECUTE, body_none },
	{ M_GET,    "/api/v1/prompts/:slug/gate", h_api_gate_get, AUTH_USER, 0,
	  NULL },
	{ M_PATCH,  "/api/v1/prompts/:slug/gate", h_api_gate_update, AUTH_USER, 0,
	  body_gate },
	{ M_GET,    "/api/v1/prompts/:slug/history", h_api_history, AUTH_USER, 0,
	  NULL },
	{ M_GET,    "/api/v1/prompts/:slug/benchmarks", h_api_benchmarks_list,
	  AUTH_USER, 0, NULL },
	{ M_POST,   "/api/v1/prompts/:slug/benchmarks", h_api_benchmarks_create,
	  AUTH_USER, RF_EXECUTE, body_benchmark },
	{ M_GET,    "/api/v1/benchmarks/:id", h_api_benchmark_get, AUTH_USER, 0,
	  NULL },
	{ M_GET,    "/api/v1/categories",     h_api_categories_list,  AUTH_USER, 0,
	  NULL },
	{ M_POST,   "/api/v1/categories",     h_api_categories_create, AUTH_USER, 0,
	  body_category },
	{ M_PATCH,  "/api/v1/categories/:id", h_api_category_update,  AUTH_USER, 0,
	  body_category },
	{ M_DELETE, "/api/v1/categories/:id", h_api_category_delete,  AUTH_USER, 0,
	  body_none },
	{ M_GET,    "/api/v1/executions",     h_api_executions_list, AUTH_USER, 0,
	  NULL },
	{ M_GET,    "/api/v1/executions/:id", h_api_execution_get, AUTH_USER, 0,
	  NULL },
	{ M_GET,    "/api/v1/usage",          h_api_usage,       AUTH_USER, 0, NULL },
	{ M_POST,   "/api/v1/chat/completions", h_api_chat_completions, AUTH_USER,
	  RF_EXECUTE | RF_OPENAI, body_chat },
	{ M_GET,    "/api/v1/keys",           h_api_keys_list,   AUTH_USER,
	  RF_SESSION_ONLY, NULL },
	{ M_POST,   "/api/v1/keys",           h_api_keys_create, AUTH_USER,
	  RF_SESSION_ONLY, body_key_create },
	{ M_DELETE, "/api/v1/keys/:id",       h_api_key_delete,  AUTH_USER,
	  RF_SESSION_ONLY, body_none },

	/* Machines */
	{ M_POST, "/webhooks/stripe",     h_stripe_webhook,  AUTH_NONE,
	  RF_NO_SESSION | RF_NO_CSRF, NULL },
	{ M_GET,  "/_hello",              h_hello,           AUTH_NONE,
	  RF_NO_SESSION, NULL },
	{ M_GET,  "/_test/sleep",         h_test_sleep,      AUTH_NONE,
	  RF_NO_SESSION | RF_TEST, NULL },
};

const size_t nroutes = NELEM(routes);
