/* handlers.h - every request handler named in the routes table, by the
 * file it lives in: page_*.c answer HTML, api_*.c answer JSON. A handler
 * receives a parsed, routed, authenticated and CSRF-checked request whose
 * path parameters and JSON body were checked (router.h) and must answer
 * it exactly once (resp_*, answer_*). */
#ifndef PM_HANDLERS_H
#define PM_HANDLERS_H

struct req;
struct buf;

/* page_account.c */
void h_signup_form(struct req *r);
void h_signup(struct req *r);
void h_login_form(struct req *r);
void h_login(struct req *r);
void h_logout(struct req *r);
void h_settings(struct req *r);
void h_password_change(struct req *r);

/* page_account_delete.c */
void h_account_delete_form(struct req *r);
void h_account_delete(struct req *r);

/* page_admin.c */
void h_admin(struct req *r);
void h_admin_free_tier(struct req *r);

/* page_byok.c */
void h_byok_page(struct req *r);
void h_byok_test(struct req *r);
void h_byok_save(struct req *r);
void h_byok_delete_page(struct req *r);
void h_byok_delete(struct req *r);
void h_prompt_byok_pin(struct req *r);

/* page_categories.c */
void h_categories_page(struct req *r);
void h_category_create(struct req *r);
void h_category_rename(struct req *r);
void h_category_delete(struct req *r);

/* page_demo_mail.c */
void h_demo_mail(struct req *r);

/* page_email_change.c */
void h_email_change(struct req *r);
void h_email_change_cancel(struct req *r);
void h_email_confirm_form(struct req *r);
void h_email_confirm(struct req *r);

/* page_executions.c */
void h_executions_page(struct req *r);
void h_executions_csv(struct req *r);
void h_execution_page(struct req *r);

/* page_pricing.c */
void h_pricing(struct req *r);
void h_upgrade(struct req *r);

/* page_billing.c */
void h_billing(struct req *r);
void h_billing_checkout(struct req *r);
void h_billing_success(struct req *r);
void h_billing_change(struct req *r);
void h_billing_cancel(struct req *r);
void h_billing_resume(struct req *r);
void h_billing_cancel_now_page(struct req *r);
void h_billing_cancel_now(struct req *r);
void h_billing_portal(struct req *r);
void h_billing_refund_retry(struct req *r);

/* page_billing_events.c */
void h_admin_billing_events(struct req *r);
void h_admin_billing_reapply(struct req *r);

/* page_prompts.c */
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

/* page_reset.c */
void h_forgot_form(struct req *r);
void h_forgot(struct req *r);
void h_reset_form(struct req *r);
void h_reset(struct req *r);

/* page_run.c */
void h_run_page(struct req *r);
void h_run(struct req *r);
void h_run_result(struct req *r);

/* page_site.c */
void h_home(struct req *r);
void h_dashboard(struct req *r);
void h_analytics(struct req *r);

/* page_versions.c */
void h_version_new_page(struct req *r);
void h_version_create(struct req *r);
void h_version_page(struct req *r);
void h_version_promote(struct req *r);
void h_version_archive(struct req *r);
/* page_samples.c, page_sample_io.c - golden samples */
void h_samples_page(struct req *r);
void h_sample_new_page(struct req *r);
void h_sample_create(struct req *r);
void h_sample_edit_page(struct req *r);
void h_sample_update(struct req *r);
void h_sample_delete_page(struct req *r);
void h_sample_delete(struct req *r);
void h_samples_export(struct req *r);
void h_samples_import_page(struct req *r);
void h_samples_import(struct req *r);
void h_diff_page(struct req *r);

/* api_account.c */
void h_api_me(struct req *r);

/* api_billing.c */
void h_api_billing_status(struct req *r);

/* api_categories.c */
void h_api_categories_list(struct req *r);
void h_api_categories_create(struct req *r);
void h_api_category_update(struct req *r);
void h_api_category_delete(struct req *r);
/* api_chat.c */
void h_api_chat_completions(struct req *r);
/* page_keys.c */
void h_keys_page(struct req *r);
void h_key_create(struct req *r);
void h_key_revoke(struct req *r);
/* page_api_docs.c */
void h_api_docs_page(struct req *r);
/* api_docs.c: the OpenAPI document; api_docs_check() at start: every
 * /api route has its summary and every summary its route (returns 0, or
 * -1 with the first mismatch in err). */
void h_api_openapi(struct req *r);
int api_docs_check(struct buf *err);
/* api_executions.c */
void h_api_executions_list(struct req *r);
void h_api_execution_get(struct req *r);
void h_api_usage(struct req *r);
/* api_keys.c */
void h_api_keys_list(struct req *r);
void h_api_keys_create(struct req *r);
void h_api_key_delete(struct req *r);

/* api_execute.c */
void h_api_execute(struct req *r);

/* api_models.c */
void h_api_models(struct req *r);
/* api_prompts.c */
void h_api_prompts_list(struct req *r);
void h_api_prompts_create(struct req *r);
void h_api_prompt_get(struct req *r);
void h_api_prompt_update(struct req *r);
void h_api_prompt_delete(struct req *r);
void h_api_prompt_render(struct req *r);
void h_api_prompt_export(struct req *r);
void h_api_prompts_import(struct req *r);

/* api_system.c */
void h_health(struct req *r);
void h_hello(struct req *r);
void h_test_sleep(struct req *r);

/* page_runs.c */
void h_regression_start(struct req *r);
void h_regression_start_form(struct req *r);
void h_trial_start(struct req *r);
void h_regressions_page(struct req *r);
void h_regression_page(struct req *r);
void h_run_stop(struct req *r);

/* page_benchmarks.c */
void h_benchmarks_page(struct req *r);
void h_benchmark_start(struct req *r);
void h_benchmark_page(struct req *r);

/* page_gate.c */
void h_gate_page(struct req *r);
void h_gate_save(struct req *r);
void h_history_page(struct req *r);

/* api_gate.c */
void h_api_gate_get(struct req *r);
void h_api_gate_update(struct req *r);
void h_api_history(struct req *r);

/* api_runs.c */
void h_api_regressions_list(struct req *r);
void h_api_regressions_create(struct req *r);
void h_api_regression_get(struct req *r);
void h_api_benchmarks_list(struct req *r);
void h_api_benchmarks_create(struct req *r);
void h_api_benchmark_get(struct req *r);
void h_api_regression_stop(struct req *r);
void h_api_benchmark_stop(struct req *r);

/* api_versions.c */
void h_api_versions_list(struct req *r);
void h_api_versions_create(struct req *r);
void h_api_version_get(struct req *r);
void h_api_version_promote(struct req *r);
void h_api_version_archive(struct req *r);
/* api_samples.c */
void h_api_samples_list(struct req *r);
void h_api_samples_create(struct req *r);
void h_api_sample_get(struct req *r);
void h_api_sample_update(struct req *r);
void h_api_sample_delete(struct req *r);
void h_api_samples_export(struct req *r);
void h_api_samples_import(struct req *r);

/* api_webhooks.c */
void h_stripe_webhook(struct req *r);

#endif
