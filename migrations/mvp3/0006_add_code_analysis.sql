-- description: Add code analysis: COBOL/PL-I programs, copybooks, JCL members and analysis results
-- migrate:up
CREATE TABLE code_programs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 8),
  language TEXT NOT NULL DEFAULT 'COBOL' CHECK (language IN ('COBOL', 'PL/I', 'Assembler', 'REXX', 'C')),
  library TEXT,
  source_hash TEXT,
  lines_of_code INTEGER CHECK (lines_of_code IS NULL OR lines_of_code >= 0),
  origin TEXT NOT NULL DEFAULT 'scan' CHECK (origin IN ('scan', 'kb_reference', 'manual')),
  last_analyzed TEXT,
  created_at TEXT NOT NULL
);

CREATE TABLE code_copybooks (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 8),
  library TEXT,
  source_hash TEXT,
  lines_of_code INTEGER CHECK (lines_of_code IS NULL OR lines_of_code >= 0),
  created_at TEXT NOT NULL
);

CREATE TABLE code_program_copybooks (
  program_id INTEGER NOT NULL REFERENCES code_programs (id) ON DELETE CASCADE,
  copybook_id INTEGER NOT NULL REFERENCES code_copybooks (id) ON DELETE CASCADE,
  PRIMARY KEY (program_id, copybook_id)
) WITHOUT ROWID;

CREATE TABLE jcl_members (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 8),
  library TEXT,
  job_class TEXT,
  step_count INTEGER CHECK (step_count IS NULL OR step_count >= 0),
  origin TEXT NOT NULL DEFAULT 'scan' CHECK (origin IN ('scan', 'kb_reference', 'manual')),
  created_at TEXT NOT NULL
);

CREATE TABLE jcl_steps (
  jcl_member_id INTEGER NOT NULL REFERENCES jcl_members (id) ON DELETE CASCADE,
  step_number INTEGER NOT NULL CHECK (step_number >= 1),
  step_name TEXT NOT NULL,
  program_id INTEGER REFERENCES code_programs (id) ON DELETE SET NULL,
  PRIMARY KEY (jcl_member_id, step_number)
) WITHOUT ROWID;

CREATE TABLE code_analysis_results (
  id INTEGER PRIMARY KEY,
  program_id INTEGER REFERENCES code_programs (id) ON DELETE CASCADE,
  jcl_member_id INTEGER REFERENCES jcl_members (id) ON DELETE CASCADE,
  analysis_type TEXT NOT NULL CHECK (analysis_type IN ('complexity', 'dead_code', 'data_flow', 'sql_usage', 'abend_risk', 'dependency')),
  severity TEXT NOT NULL DEFAULT 'low' CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
  line_number INTEGER CHECK (line_number IS NULL OR line_number >= 1),
  rule_id TEXT,
  message TEXT NOT NULL,
  analyzed_at TEXT NOT NULL,
  CHECK (program_id IS NOT NULL OR jcl_member_id IS NOT NULL)
);

CREATE INDEX idx_code_programs_library ON code_programs (library, name);
CREATE INDEX idx_jcl_steps_program ON jcl_steps (program_id);
CREATE INDEX idx_code_program_copybooks_copybook ON code_program_copybooks (copybook_id);
CREATE INDEX idx_code_analysis_program ON code_analysis_results (program_id, analysis_type);
CREATE INDEX idx_code_analysis_jcl ON code_analysis_results (jcl_member_id);

-- migrate:down
DROP TABLE code_analysis_results;
DROP TABLE jcl_steps;
DROP TABLE jcl_members;
DROP TABLE code_program_copybooks;
DROP TABLE code_copybooks;
DROP TABLE code_programs;
