/* routes.c - the whole site in one table: method, path, handler, auth. */
#include "handlers.h"
#include "router.h"
#include "util.h"

const struct route routes[] = {
	/* Public pages */
	{ M_GET,  "/",                    h_home,            AUTH_NONE, 0 },
	{ M_GET,  "/pricing",             h_pricing,         AUTH_NONE, 0 },
	{ M_GET,  "/signup",              h_signup_form,     AUTH_NONE, 0 },
	{ M_POST, "/signup",              h_signup,          AUTH_NONE, 0 },
	{ M_GET,  "/login",               h_login_form,      AUTH_NONE, 0 },
	{ M_POST, "/login",               h_login,           AUTH_NONE, 0 },

	/* The signed-in shell */
	{ M_POST, "/logout",              h_logout,          AUTH_USER, 0 },
	{ M_GET,  "/dashboard",           h_dashboard,       AUTH_USER, 0 },
	{ M_GET,  "/prompts",             h_prompts_page,    AUTH_USER, 0 },
	{ M_POST, "/prompts",             h_prompt_create,   AUTH_USER, 0 },
	{ M_GET,  "/prompts/new",         h_prompt_new_page, AUTH_USER, 0 },
	{ M_GET,  "/prompts/import",      h_import_page,     AUTH_USER, 0 },
	{ M_POST, "/prompts/import",      h_import,          AUTH_USER, 0 },
	{ M_GET,  "/prompts/:slug",       h_prompt_page,     AUTH_USER, 0 },
	{ M_GET,  "/prompts/:slug/settings", h_prompt_settings_page, AUTH_USER, 0 },
	{ M_POST, "/prompts/:slug/settings", h_prompt_settings, AUTH_USER, 0 },
	{ M_GET,  "/prompts/:slug/delete", h_prompt_delete_page, AUTH_USER, 0 },
	{ M_POST, "/prompts/:slug/delete", h_prompt_delete,  AUTH_USER, 0 },
	{ M_GET,  "/prompts/:slug/export", h_prompt_export_page, AUTH_USER, 0 },
	{ M_GET,  "/prompts/:slug/edit",  h_version_new_page, AUTH_USER, 0 },
	{ M_POST, "/prompts/:slug/versions", h_version_create, AUTH_USER, 0 },
	{ M_GET,  "/prompts/:slug/versions/:n", h_version_page, AUTH_USER, 0 },
	{ M_POST, "/prompts/:slug/versions/:n/promote", h_version_promote, AUTH_USER, 0 },
	{ M_POST, "/prompts/:slug/versions/:n/archive", h_version_archive, AUTH_USER, 0 },
	{ M_GET,  "/prompts/:slug/diff",  h_diff_page,       AUTH_USER, 0 },
	{ M_GET,  "/prompts/:slug/run",   h_run_page,        AUTH_USER, 0 },
	{ M_POST, "/prompts/:slug/run",   h_run,             AUTH_USER, 0 },
	{ M_GET,  "/categories",          h_categories_page, AUTH_USER, 0 },
	{ M_POST, "/categories",          h_category_create, AUTH_USER, 0 },
	{ M_POST, "/categories/:id/rename", h_category_rename, AUTH_USER, 0 },
	{ M_POST, "/categories/:id/delete", h_category_delete, AUTH_USER, 0 },
	{ M_GET,  "/executions",          h_executions_page, AUTH_USER, 0 },
	{ M_GET,  "/executions/:id",      h_execution_page,  AUTH_USER, 0 },
	{ M_GET,  "/analytics",           h_analytics,       AUTH_USER, 0 },
	{ M_GET,  "/settings",            h_settings,        AUTH_USER, 0 },
	{ M_POST, "/settings/password",   h_password_change, AUTH_USER, 0 },
	{ M_GET,  "/billing",             h_billing,         AUTH_USER, 0 },
	{ M_GET,  "/admin",               h_admin,           AUTH_ADMIN, 0 },
	{ M_POST, "/admin/models/free-tier", h_admin_free_tier, AUTH_ADMIN, 0 },

	/* JSON API */
	{ M_GET,  "/api/health",          h_health,          AUTH_NONE, RF_NO_SESSION },
	{ M_GET,  "/api/v1/me",           h_api_me,          AUTH_USER, 0 },
	{ M_GET,    "/api/v1/prompts",        h_api_prompts_list,   AUTH_USER, 0 },
	{ M_POST,   "/api/v1/prompts",        h_api_prompts_create, AUTH_USER, 0 },
	{ M_POST,   "/api/v1/prompts/import", h_api_prompts_import, AUTH_USER, 0 },
	{ M_GET,    "/api/v1/prompts/:slug",  h_api_prompt_get,     AUTH_USER, 0 },
	{ M_PATCH,  "/api/v1/prompts/:slug",  h_api_prompt_update,  AUTH_USER, 0 },
	{ M_DELETE, "/api/v1/prompts/:slug",  h_api_prompt_delete,  AUTH_USER, 0 },
	{ M_POST,   "/api/v1/prompts/:slug/render", h_api_prompt_render, AUTH_USER, 0 },
	{ M_POST,   "/api/v1/prompts/:slug/execute", h_api_execute, AUTH_USER, 0 },
	{ M_GET,    "/api/v1/prompts/:slug/export", h_api_prompt_export, AUTH_USER, 0 },
	{ M_GET,    "/api/v1/prompts/:slug/versions", h_api_versions_list, AUTH_USER, 0 },
	{ M_POST,   "/api/v1/prompts/:slug/versions", h_api_versions_create, AUTH_USER, 0 },
	{ M_GET,    "/api/v1/prompts/:slug/versions/:n", h_api_version_get, AUTH_USER, 0 },
	{ M_POST,   "/api/v1/prompts/:slug/versions/:n/promote",
	  h_api_version_promote, AUTH_USER, 0 },
	{ M_POST,   "/api/v1/prompts/:slug/versions/:n/archive",
	  h_api_version_archive, AUTH_USER, 0 },
	{ M_GET,    "/api/v1/categories",     h_api_categories_list,  AUTH_USER, 0 },
	{ M_POST,   "/api/v1/categories",     h_api_categories_create, AUTH_USER, 0 },
	{ M_PATCH,  "/api/v1/categories/:id", h_api_category_update,  AUTH_USER, 0 },
	{ M_DELETE, "/api/v1/categories/:id", h_api_category_delete,  AUTH_USER, 0 },

	/* Machines */
	{ M_POST, "/webhooks/stripe",     h_stripe_webhook,  AUTH_NONE,
	  RF_NO_SESSION | RF_NO_CSRF },
	{ M_GET,  "/_hello",              h_hello,           AUTH_NONE, RF_NO_SESSION },
	{ M_GET,  "/_test/sleep",         h_test_sleep,      AUTH_NONE,
	  RF_NO_SESSION | RF_TEST },
};

const size_t nroutes = NELEM(routes);
