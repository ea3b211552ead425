-- description: Add IDZ project management: projects on a host system and the programs, copybooks and JCL they hold
-- migrate:up
CREATE TABLE idz_projects (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 120),
  description TEXT,
  host_system TEXT NOT NULL,
  high_level_qualifier TEXT NOT NULL CHECK (length(high_level_qualifier) BETWEEN 1 AND 8),
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived', 'locked')),
  owner TEXT NOT NULL DEFAULT 'system',
  is_builtin INTEGER NOT NULL DEFAULT 0 CHECK (is_builtin IN (0, 1)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE idz_project_members (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES idz_projects (id) ON DELETE CASCADE,
  program_id INTEGER REFERENCES code_programs (id) ON DELETE CASCADE,
  copybook_id INTEGER REFERENCES code_copybooks (id) ON DELETE CASCADE,
  jcl_member_id INTEGER REFERENCES jcl_members (id) ON DELETE CASCADE,
  added_at TEXT NOT NULL,
  CHECK ((program_id IS NOT NULL) + (copybook_id IS NOT NULL) + (jcl_member_id IS NOT NULL) = 1),
  UNIQUE (project_id, program_id, copybook_id, jcl_member_id)
);

CREATE INDEX idx_idz_project_members_program ON idz_project_members (program_id) WHERE program_id IS NOT NULL;
CREATE INDEX idx_idz_project_members_copybook ON idz_project_members (copybook_id) WHERE copybook_id IS NOT NULL;
CREATE INDEX idx_idz_project_members_jcl ON idz_project_members (jcl_member_id) WHERE jcl_member_id IS NOT NULL;

-- migrate:down
DROP TABLE idz_project_members;
DROP TABLE idz_projects;
