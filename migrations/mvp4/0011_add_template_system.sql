-- description: Add the IDZ template system: versioned source templates and their parameters
-- migrate:up
CREATE TABLE idz_templates (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  template_type TEXT NOT NULL CHECK (template_type IN ('cobol_program', 'cics_program', 'jcl_job', 'copybook', 'db2_bind', 'rexx_exec')),
  language TEXT NOT NULL CHECK (language IN ('COBOL', 'PL/I', 'Assembler', 'REXX', 'JCL')),
  description TEXT,
  content TEXT NOT NULL,
  is_builtin INTEGER NOT NULL DEFAULT 0 CHECK (is_builtin IN (0, 1)),
  created_by TEXT NOT NULL DEFAULT 'system',
  created_at TEXT NOT NULL,
  UNIQUE (name, version)
);

CREATE TABLE idz_template_parameters (
  template_id INTEGER NOT NULL REFERENCES idz_templates (id) ON DELETE CASCADE,
  name TEXT NOT NULL CHECK (name GLOB '[A-Z]*'),
  description TEXT,
  default_value TEXT,
  required INTEGER NOT NULL DEFAULT 1 CHECK (required IN (0, 1)),
  position INTEGER NOT NULL CHECK (position >= 1),
  PRIMARY KEY (template_id, name)
) WITHOUT ROWID;

CREATE INDEX idx_idz_templates_type ON idz_templates (template_type, language);

-- migrate:down
DROP TABLE idz_template_parameters;
DROP TABLE idz_templates;
