-- description: Create the MVP1 Mainframe knowledge base: entries, tags and usage feedback
-- migrate:up
CREATE TABLE kb_entries (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 255),
  problem TEXT NOT NULL,
  solution TEXT NOT NULL,
  category TEXT NOT NULL CHECK (category IN ('JCL', 'VSAM', 'DB2', 'CICS', 'IMS', 'Batch', 'COBOL', 'Functional', 'Other')),
  severity TEXT NOT NULL DEFAULT 'medium' CHECK (severity IN ('critical', 'high', 'medium', 'low')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  created_by TEXT NOT NULL DEFAULT 'system',
  usage_count INTEGER NOT NULL DEFAULT 0 CHECK (usage_count >= 0),
  success_count INTEGER NOT NULL DEFAULT 0 CHECK (success_count >= 0),
  failure_count INTEGER NOT NULL DEFAULT 0 CHECK (failure_count >= 0),
  last_used TEXT,
  archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1))
);

CREATE TABLE kb_tags (
  entry_id INTEGER NOT NULL REFERENCES kb_entries (id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (entry_id, tag)
) WITHOUT ROWID;

CREATE INDEX idx_kb_entries_category ON kb_entries (category, severity);
CREATE INDEX idx_kb_entries_created_at ON kb_entries (created_at);
CREATE INDEX idx_kb_tags_tag ON kb_tags (tag);

-- migrate:down
DROP TABLE kb_tags;
DROP TABLE kb_entries;
