-- description: Add IDZ workspace management: per-user workspaces of a project and the members checked out in them
-- migrate:up
CREATE TABLE idz_workspaces (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES idz_projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  owner TEXT NOT NULL,
  sandbox_hlq TEXT NOT NULL CHECK (length(sandbox_hlq) BETWEEN 1 AND 17),
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'syncing', 'stale', 'closed')),
  last_sync TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (project_id, name)
);

CREATE TABLE idz_workspace_files (
  id INTEGER PRIMARY KEY,
  workspace_id INTEGER NOT NULL REFERENCES idz_workspaces (id) ON DELETE CASCADE,
  member_id INTEGER REFERENCES idz_project_members (id) ON DELETE SET NULL,
  file_path TEXT NOT NULL,
  template_id INTEGER REFERENCES idz_templates (id) ON DELETE SET NULL,
  state TEXT NOT NULL DEFAULT 'clean' CHECK (state IN ('clean', 'modified', 'conflict', 'new')),
  checked_out_at TEXT NOT NULL,
  UNIQUE (workspace_id, file_path)
);

CREATE INDEX idx_idz_workspaces_owner ON idz_workspaces (owner, status);
CREATE INDEX idx_idz_workspace_files_member ON idz_workspace_files (member_id);
CREATE INDEX idx_idz_workspace_files_template ON idz_workspace_files (template_id);

-- migrate:down
DROP TABLE idz_workspace_files;
DROP TABLE idz_workspaces;
