-- 009_concurrent_executions.sql - how many runs an account may have in
-- progress at once (NULL: no cap), and which process holds a run, so that
-- the runs of a process that died are settled as soon as it is replaced.

ALTER TABLE plans ADD COLUMN max_concurrent_executions BIGINT NULL
  AFTER max_tokens_per_execution;

-- "host:pid:start" of the process running the execution (RUNNING only).
ALTER TABLE executions ADD COLUMN runner VARCHAR(120) NULL,
  ADD KEY ix_exec_status_runner (status, runner);
