-- 007_executions_sweep_index.sql - the sweep of runs left RUNNING by a dead
-- worker (every worker start, `pm-admin executions sweep`) looks them up
-- by status and age; every other index on executions starts with user_id.

ALTER TABLE executions ADD KEY ix_exec_status_created (status, created_at);
