-- description: Add the auto-resolution system: rules that match incidents to KB fixes, the suggestions they make and the outcomes
-- migrate:up
CREATE TABLE auto_resolution_rules (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT,
  match_component TEXT,
  match_pattern_id INTEGER REFERENCES incident_patterns (id) ON DELETE SET NULL,
  match_text TEXT,
  kb_entry_id INTEGER NOT NULL REFERENCES kb_entries (id) ON DELETE CASCADE,
  model_id INTEGER REFERENCES ml_models (id) ON DELETE SET NULL,
  min_confidence REAL NOT NULL DEFAULT 0.8 CHECK (min_confidence BETWEEN 0 AND 1),
  priority INTEGER NOT NULL DEFAULT 100,
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  origin TEXT NOT NULL DEFAULT 'manual' CHECK (origin IN ('manual', 'kb_success', 'learned')),
  created_at TEXT NOT NULL
);

CREATE TABLE auto_resolution_suggestions (
  id INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  rule_id INTEGER REFERENCES auto_resolution_rules (id) ON DELETE SET NULL,
  kb_entry_id INTEGER REFERENCES kb_entries (id) ON DELETE SET NULL,
  model_version_id INTEGER REFERENCES ml_model_versions (id) ON DELETE SET NULL,
  confidence REAL NOT NULL CHECK (confidence BETWEEN 0 AND 1),
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected', 'applied', 'expired')),
  suggested_at TEXT NOT NULL,
  decided_at TEXT,
  decided_by TEXT
);

CREATE TABLE auto_resolution_outcomes (
  id INTEGER PRIMARY KEY,
  suggestion_id INTEGER NOT NULL UNIQUE REFERENCES auto_resolution_suggestions (id) ON DELETE CASCADE,
  outcome TEXT NOT NULL CHECK (outcome IN ('resolved', 'partially_resolved', 'not_resolved', 'made_worse')),
  resolution_minutes INTEGER CHECK (resolution_minutes IS NULL OR resolution_minutes >= 0),
  feedback TEXT,
  recorded_by TEXT NOT NULL,
  recorded_at TEXT NOT NULL
);

CREATE INDEX idx_auto_resolution_rules_component ON auto_resolution_rules (match_component, priority) WHERE enabled = 1;
CREATE INDEX idx_auto_resolution_rules_kb_entry ON auto_resolution_rules (kb_entry_id);
CREATE INDEX idx_auto_resolution_rules_pattern ON auto_resolution_rules (match_pattern_id);
CREATE INDEX idx_auto_resolution_suggestions_incident ON auto_resolution_suggestions (incident_id, status);
CREATE INDEX idx_auto_resolution_suggestions_rule ON auto_resolution_suggestions (rule_id);
CREATE INDEX idx_auto_resolution_suggestions_kb_entry ON auto_resolution_suggestions (kb_entry_id);

-- migrate:down
DROP TABLE auto_resolution_outcomes;
DROP TABLE auto_resolution_suggestions;
DROP TABLE auto_resolution_rules;
