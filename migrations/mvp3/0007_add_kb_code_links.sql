-- description: Add the KB-code linking system: references found in KB text and links from KB entries to programs and JCL
-- migrate:up
CREATE TABLE kb_code_references (
  id INTEGER PRIMARY KEY,
  kb_entry_id INTEGER NOT NULL REFERENCES kb_entries (id) ON DELETE CASCADE,
  reference_type TEXT NOT NULL CHECK (reference_type IN ('program', 'job', 'dataset', 'db2_table', 'transaction', 'error_code')),
  reference_name TEXT NOT NULL,
  source_field TEXT NOT NULL CHECK (source_field IN ('title', 'problem', 'solution')),
  origin TEXT NOT NULL DEFAULT 'manual' CHECK (origin IN ('kb_text', 'manual')),
  UNIQUE (kb_entry_id, reference_type, reference_name)
);

CREATE TABLE kb_code_links (
  id INTEGER PRIMARY KEY,
  kb_entry_id INTEGER NOT NULL REFERENCES kb_entries (id) ON DELETE CASCADE,
  program_id INTEGER REFERENCES code_programs (id) ON DELETE CASCADE,
  jcl_member_id INTEGER REFERENCES jcl_members (id) ON DELETE CASCADE,
  link_type TEXT NOT NULL DEFAULT 'mentions' CHECK (link_type IN ('mentions', 'fixes', 'causes', 'related')),
  confidence REAL NOT NULL DEFAULT 1.0 CHECK (confidence BETWEEN 0 AND 1),
  origin TEXT NOT NULL DEFAULT 'manual' CHECK (origin IN ('kb_text', 'manual')),
  created_at TEXT NOT NULL,
  CHECK ((program_id IS NULL) <> (jcl_member_id IS NULL))
);

-- Lookups by name (which entries mention program X, job Y, SQLCODE -805). Dataset names are
-- near-unique and searched by pattern (PROD.GLPOST.*), which this index cannot serve; leaving
-- them out keeps it small and keeps the initial load off random inserts.
CREATE INDEX idx_kb_code_references_name ON kb_code_references (reference_type, reference_name) WHERE reference_type <> 'dataset';
CREATE INDEX idx_kb_code_links_entry ON kb_code_links (kb_entry_id);
CREATE INDEX idx_kb_code_links_program ON kb_code_links (program_id) WHERE program_id IS NOT NULL;
CREATE INDEX idx_kb_code_links_jcl ON kb_code_links (jcl_member_id) WHERE jcl_member_id IS NOT NULL;

-- migrate:down
DROP TABLE kb_code_links;
DROP TABLE kb_code_references;
