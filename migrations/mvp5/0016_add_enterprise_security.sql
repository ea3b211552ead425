-- description: Add enterprise security: users, roles, permissions, their grants and the audit log, with the built-in roles and permissions
-- migrate:up
CREATE TABLE security_users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(username) BETWEEN 1 AND 64),
  display_name TEXT,
  email TEXT,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'locked', 'disabled')),
  origin TEXT NOT NULL DEFAULT 'manual' CHECK (origin IN ('manual', 'kb_author', 'directory')),
  created_at TEXT NOT NULL,
  last_login TEXT
);

CREATE TABLE security_roles (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL,
  is_system INTEGER NOT NULL DEFAULT 0 CHECK (is_system IN (0, 1))
);

CREATE TABLE security_permissions (
  id INTEGER PRIMARY KEY,
  resource TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('read', 'create', 'update', 'delete', 'approve', 'admin')),
  description TEXT,
  UNIQUE (resource, action)
);

CREATE TABLE security_role_permissions (
  role_id INTEGER NOT NULL REFERENCES security_roles (id) ON DELETE CASCADE,
  permission_id INTEGER NOT NULL REFERENCES security_permissions (id) ON DELETE CASCADE,
  PRIMARY KEY (role_id, permission_id)
) WITHOUT ROWID;

CREATE TABLE security_user_roles (
  user_id INTEGER NOT NULL REFERENCES security_users (id) ON DELETE CASCADE,
  role_id INTEGER NOT NULL REFERENCES security_roles (id) ON DELETE CASCADE,
  granted_by TEXT NOT NULL DEFAULT 'system',
  granted_at TEXT NOT NULL,
  PRIMARY KEY (user_id, role_id)
) WITHOUT ROWID;

CREATE TABLE security_audit_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  user_id INTEGER REFERENCES security_users (id) ON DELETE SET NULL,
  action TEXT NOT NULL,
  resource TEXT NOT NULL,
  resource_id TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied', 'error')),
  detail TEXT CHECK (detail IS NULL OR json_valid(detail)),
  client_address TEXT
);

CREATE INDEX idx_security_user_roles_role ON security_user_roles (role_id);
CREATE INDEX idx_security_role_permissions_permission ON security_role_permissions (permission_id);
CREATE INDEX idx_security_audit_log_at ON security_audit_log (at);
CREATE INDEX idx_security_audit_log_user ON security_audit_log (user_id, at);
CREATE INDEX idx_security_audit_log_resource ON security_audit_log (resource, resource_id);

INSERT INTO security_roles (name, description, is_system) VALUES
  ('admin', 'Full control, including security administration', 1),
  ('kb_author', 'Writes and updates knowledge base entries', 1),
  ('analyst', 'Works incidents and accepts auto-resolution suggestions', 1),
  ('developer', 'Works in IDZ projects and code analysis', 1),
  ('auditor', 'Reads everything, including the audit log', 1),
  ('viewer', 'Reads the knowledge base and incidents', 1);

INSERT INTO security_permissions (resource, action, description)
SELECT r.resource, a.action, a.action || ' ' || r.resource
FROM (SELECT 'kb_entries' AS resource UNION ALL SELECT 'incidents' UNION ALL SELECT 'code_analysis'
      UNION ALL SELECT 'idz_projects' UNION ALL SELECT 'ml_models' UNION ALL SELECT 'auto_resolution'
      UNION ALL SELECT 'security' UNION ALL SELECT 'audit_log') r,
     (SELECT 'read' AS action UNION ALL SELECT 'create' UNION ALL SELECT 'update' UNION ALL SELECT 'delete'
      UNION ALL SELECT 'approve' UNION ALL SELECT 'admin') a
ORDER BY r.resource, a.action;

INSERT INTO security_role_permissions (role_id, permission_id)
SELECT ro.id, p.id
FROM security_roles ro JOIN security_permissions p ON
     ro.name = 'admin'
  OR (ro.name = 'kb_author' AND p.resource = 'kb_entries' AND p.action IN ('read', 'create', 'update'))
  OR (ro.name = 'analyst' AND ((p.resource IN ('incidents', 'auto_resolution') AND p.action IN ('read', 'create', 'update', 'approve')) OR (p.resource = 'kb_entries' AND p.action = 'read')))
  OR (ro.name = 'developer' AND ((p.resource IN ('code_analysis', 'idz_projects') AND p.action IN ('read', 'create', 'update', 'delete')) OR (p.resource = 'kb_entries' AND p.action = 'read')))
  OR (ro.name = 'auditor' AND p.action = 'read')
  OR (ro.name = 'viewer' AND p.resource IN ('kb_entries', 'incidents') AND p.action = 'read');

-- migrate:down
DROP TABLE security_audit_log;
DROP TABLE security_user_roles;
DROP TABLE security_role_permissions;
DROP TABLE security_permissions;
DROP TABLE security_roles;
DROP TABLE security_users;
