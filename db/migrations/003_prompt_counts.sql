-- 003_prompt_counts.sql - indexes for the per-category and uncategorised
-- prompt counts shown on every prompt list: both become index-only.

ALTER TABLE prompts
  ADD KEY ix_prompts_user_category (user_id, deleted_at, category_id),
  ADD KEY ix_prompts_category_live (category_id, deleted_at),
  DROP KEY ix_prompts_category;
