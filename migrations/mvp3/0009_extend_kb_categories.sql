-- description: Let KB entries be filed under the code-analysis languages (PL/I, Assembler, REXX): rebuilds kb_entries with foreign keys off, keeping tags, feedback, incidents and code links
-- foreign-keys: off
-- migrate:up
-- SQLite cannot change a CHECK constraint in place: the 12-step rebuild. Views that read
-- kb_entries go first (RENAME re-parses every view), the new table takes the rows with the
-- same ids, so that every child row (kb_tags, kb_feedback, incidents, kb_code_references,
-- kb_code_links) still points at its entry, then indexes and views come back.
DROP VIEW kb_entry_stats;

CREATE TABLE kb_entries_rebuild (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 255),
  problem TEXT NOT NULL,
  solution TEXT NOT NULL,
  category TEXT NOT NULL CHECK (category IN ('JCL', 'VSAM', 'DB2', 'CICS', 'IMS', 'Batch', 'COBOL', 'PL/I', 'Assembler', 'REXX', 'Functional', 'Other')),
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

INSERT INTO kb_entries_rebuild (id, title, problem, solution, category, severity, created_at, updated_at, created_by, usage_count, success_count, failure_count, last_used, archived)
SELECT id, title, problem, solution, category, severity, created_at, updated_at, created_by, usage_count, success_count, failure_count, last_used, archived
FROM kb_entries ORDER BY id;

DROP TABLE kb_entries;
ALTER TABLE kb_entries_rebuild RENAME TO kb_entries;

CREATE INDEX idx_kb_entries_category ON kb_entries (category, severity);
CREATE INDEX idx_kb_entries_created_at ON kb_entries (created_at);

CREATE VIEW kb_entry_stats AS
SELECT e.id, e.title, e.category, e.usage_count,
       CASE WHEN e.usage_count = 0 THEN 0.0 ELSE round(e.success_count * 1.0 / e.usage_count, 3) END AS success_rate
FROM kb_entries e
WHERE e.archived = 0;

-- migrate:down
-- The same rebuild back to the MVP1 category list. Entries filed under a language this
-- migration added are kept, under 'Other' (the MVP1 schema has no place for them).
DROP VIEW kb_entry_stats;

CREATE TABLE kb_entries_rebuild (
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

INSERT INTO kb_entries_rebuild (id, title, problem, solution, category, severity, created_at, updated_at, created_by, usage_count, success_count, failure_count, last_used, archived)
SELECT id, title, problem, solution,
       CASE WHEN category IN ('PL/I', 'Assembler', 'REXX') THEN 'Other' ELSE category END,
       severity, created_at, updated_at, created_by, usage_count, success_count, failure_count, last_used, archived
FROM kb_entries ORDER BY id;

DROP TABLE kb_entries;
ALTER TABLE kb_entries_rebuild RENAME TO kb_entries;

CREATE INDEX idx_kb_entries_category ON kb_entries (category, severity);
CREATE INDEX idx_kb_entries_created_at ON kb_entries (created_at);

CREATE VIEW kb_entry_stats AS
SELECT e.id, e.title, e.category, e.usage_count,
       CASE WHEN e.usage_count = 0 THEN 0.0 ELSE round(e.success_count * 1.0 / e.usage_count, 3) END AS success_rate
FROM kb_entries e
WHERE e.archived = 0;
