-- 010_running_counter_catalog_generation.sql - two numbers kept by the
-- database itself, so that an execution needs fewer statements:
--
-- users.running: how many of the user's executions are RUNNING. Triggers
-- on executions keep it, in the same statement as the row they change, so
-- it is never out of step whatever stops when (a crash rolls back the
-- statement whole). An execution inserted RUNNING with a concurrent_cap is
-- refused by the trigger (SQLSTATE 45000) when the user already has that
-- many running: the cap of runs at once is exact in one INSERT, without a
-- transaction (the UPDATE of the user's row serialises the user's
-- admissions).
--
-- catalog_state.generation: bumped by every change to plans, models or
-- app_settings, so that a process may keep the plan and model catalogs in
-- memory and know at the cost of one read (joined to the session's) when
-- they changed.

ALTER TABLE users ADD COLUMN running INT UNSIGNED NOT NULL DEFAULT 0;

-- The cap of runs at once in force when the execution was admitted
-- (NULL: none).
ALTER TABLE executions ADD COLUMN concurrent_cap INT UNSIGNED NULL
  AFTER counted;

UPDATE users u SET running = (SELECT COUNT(*) FROM executions e
  WHERE e.user_id = u.id AND e.status = 'RUNNING');

CREATE TABLE IF NOT EXISTS catalog_state (
  id         TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  generation BIGINT UNSIGNED NOT NULL
) ENGINE=InnoDB;

INSERT IGNORE INTO catalog_state (id, generation) VALUES (1, 1);

DELIMITER //

CREATE TRIGGER tr_exec_admit BEFORE INSERT ON executions FOR EACH ROW
BEGIN
  IF NEW.status = 'RUNNING' THEN
    UPDATE users SET running = running + 1 WHERE id = NEW.user_id
      AND (NEW.concurrent_cap IS NULL OR running < NEW.concurrent_cap);
    IF ROW_COUNT() = 0 THEN
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'concurrent cap reached';
    END IF;
  END IF;
END//

CREATE TRIGGER tr_exec_settle AFTER UPDATE ON executions FOR EACH ROW
BEGIN
  IF OLD.status = 'RUNNING' AND NEW.status <> 'RUNNING' THEN
    UPDATE users SET running = running - 1 WHERE id = OLD.user_id
      AND running > 0;
  ELSEIF OLD.status <> 'RUNNING' AND NEW.status = 'RUNNING' THEN
    UPDATE users SET running = running + 1 WHERE id = NEW.user_id;
  END IF;
END//

CREATE TRIGGER tr_exec_delete AFTER DELETE ON executions FOR EACH ROW
BEGIN
  IF OLD.status = 'RUNNING' THEN
    UPDATE users SET running = running - 1 WHERE id = OLD.user_id
      AND running > 0;
  END IF;
END//

CREATE TRIGGER tr_plans_ins AFTER INSERT ON plans FOR EACH ROW
  UPDATE catalog_state SET generation = generation + 1 WHERE id = 1//
CREATE TRIGGER tr_plans_upd AFTER UPDATE ON plans FOR EACH ROW
  UPDATE catalog_state SET generation = generation + 1 WHERE id = 1//
CREATE TRIGGER tr_plans_del AFTER DELETE ON plans FOR EACH ROW
  UPDATE catalog_state SET generation = generation + 1 WHERE id = 1//
CREATE TRIGGER tr_models_ins AFTER INSERT ON models FOR EACH ROW
  UPDATE catalog_state SET generation = generation + 1 WHERE id = 1//
CREATE TRIGGER tr_models_upd AFTER UPDATE ON models FOR EACH ROW
  UPDATE catalog_state SET generation = generation + 1 WHERE id = 1//
CREATE TRIGGER tr_models_del AFTER DELETE ON models FOR EACH ROW
  UPDATE catalog_state SET generation = generation + 1 WHERE id = 1//
CREATE TRIGGER tr_settings_ins AFTER INSERT ON app_settings FOR EACH ROW
  UPDATE catalog_state SET generation = generation + 1 WHERE id = 1//
CREATE TRIGGER tr_settings_upd AFTER UPDATE ON app_settings FOR EACH ROW
  UPDATE catalog_state SET generation = generation + 1 WHERE id = 1//
CREATE TRIGGER tr_settings_del AFTER DELETE ON app_settings FOR EACH ROW
  UPDATE catalog_state SET generation = generation + 1 WHERE id = 1//

DELIMITER ;
