/* handlers.h - every request handler named in the routes table. A handler
 * receives a parsed, routed, authenticated and CSRF-checked request and must
 * answer it exactly once (resp_*). */
#ifndef PM_HANDLERS_H
#define PM_HANDLERS_H

struct req;

/* site.c - public pages and the signed-in shell */
void h_home(struct req *r);
/* pricing.c */
void h_pricing(struct req *r);
void h_dashboard(struct req *r);
void h_analytics(struct req *r);
void h_billing(struct req *r);

/* account.c - sign-up, log-in, log-out, settings */
void h_signup_form(struct req *r);
void h_signup(struct req *r);
void h_login_form(struct req *r);
void h_login(struct req *r);
void h_logout(struct req *r);
void h_settings(struct req *r);
void h_password_change(struct req *r);
void h_api_me(struct req *r);

/* prompt_pages.c, version_pages.c, category_pages.c - HTML pages */
void h_prompts_page(struct req *r);
void h_prompt_new_page(struct req *r);
void h_prompt_create(struct req *r);
void h_prompt_page(struct req *r);
void h_prompt_settings_page(struct req *r);
void h_prompt_settings(struct req *r);
void h_prompt_delete_page(struct req *r);
void h_prompt_delete(struct req *r);
void h_prompt_export_page(struct req *r);
void h_import_page(struct req *r);
void h_import(struct req *r);
void h_version_new_page(struct req *r);
void h_version_create(struct req *r);
void h_version_page(struct req *r);
void h_version_promote(struct req *r);
void h_version_archive(struct req *r);
void h_diff_page(struct req *r);
void h_categories_page(struct req *r);
void h_category_create(struct req *r);
void h_category_rename(struct req *r);
void h_category_delete(struct req *r);

/* admin_pages.c - the admin console */
void h_admin(struct req *r);
void h_admin_free_tier(struct req *r);

/* run_pages.c, execution_pages.c - running prompts and their history */
void h_run_page(struct req *r);
void h_run(struct req *r);
void h_api_execute(struct req *r);
void h_executions_page(struct req *r);
void h_execution_page(struct req *r);

/* prompt_api.c - JSON API of prompts, versions and categories */
void h_api_prompts_list(struct req *r);
void h_api_prompts_create(struct req *r);
void h_api_prompts_import(struct req *r);
void h_api_prompt_get(struct req *r);
void h_api_prompt_update(struct req *r);
void h_api_prompt_delete(struct req *r);
void h_api_prompt_render(struct req *r);
void h_api_prompt_export(struct req *r);
void h_api_versions_list(struct req *r);
void h_api_versions_create(struct req *r);
void h_api_version_get(struct req *r);
void h_api_version_promote(struct req *r);
void h_api_version_archive(struct req *r);
void h_api_categories_list(struct req *r);
void h_api_categories_create(struct req *r);
void h_api_category_update(struct req *r);
void h_api_category_delete(struct req *r);

/* system.c - health, benchmarks' ceiling, webhooks, test hooks */
void h_health(struct req *r);
void h_hello(struct req *r);
void h_stripe_webhook(struct req *r);
void h_test_sleep(struct req *r);

#endif
