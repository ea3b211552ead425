-- description: Add incident tracking: incidents, detected incident patterns and their members
-- migrate:up
CREATE TABLE incidents (
  id INTEGER PRIMARY KEY,
  ticket_id TEXT NOT NULL UNIQUE,
  timestamp TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  component TEXT,
  severity TEXT NOT NULL DEFAULT 'medium' CHECK (severity IN ('critical', 'high', 'medium', 'low')),
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'resolved', 'closed')),
  assigned_to TEXT,
  resolution TEXT,
  resolved_at TEXT,
  kb_entry_id INTEGER REFERENCES kb_entries (id) ON DELETE SET NULL
);

CREATE TABLE incident_patterns (
  id INTEGER PRIMARY KEY,
  pattern_key TEXT NOT NULL UNIQUE,
  component TEXT,
  description TEXT NOT NULL,
  severity TEXT NOT NULL DEFAULT 'medium' CHECK (severity IN ('critical', 'high', 'medium', 'low')),
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'resolved', 'ignored')),
  occurrences INTEGER NOT NULL DEFAULT 0 CHECK (occurrences >= 0),
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  detected_at TEXT NOT NULL
);

CREATE TABLE incident_pattern_members (
  pattern_id INTEGER NOT NULL REFERENCES incident_patterns (id) ON DELETE CASCADE,
  incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  similarity REAL NOT NULL DEFAULT 1.0 CHECK (similarity BETWEEN 0 AND 1),
  PRIMARY KEY (pattern_id, incident_id)
) WITHOUT ROWID;

-- migrate:down
DROP TABLE incident_pattern_members;
DROP TABLE incident_patterns;
DROP TABLE incidents;
