-- description: Add the indexes and the trend view that pattern detection queries run on
-- migrate:up
CREATE INDEX idx_incidents_component_time ON incidents (component, "timestamp");
CREATE INDEX idx_incidents_severity_time ON incidents (severity, "timestamp");
CREATE INDEX idx_incidents_open ON incidents (status, "timestamp") WHERE status IN ('open', 'in_progress');
CREATE INDEX idx_incidents_kb_entry ON incidents (kb_entry_id);
CREATE INDEX idx_incident_patterns_component ON incident_patterns (component, last_seen);
CREATE INDEX idx_incident_pattern_members_incident ON incident_pattern_members (incident_id);

CREATE VIEW incident_trends AS
SELECT component, substr("timestamp", 1, 10) AS day, severity, count(*) AS incidents
FROM incidents
GROUP BY component, substr("timestamp", 1, 10), severity;

-- migrate:down
DROP VIEW incident_trends;
DROP INDEX idx_incident_pattern_members_incident;
DROP INDEX idx_incident_patterns_component;
DROP INDEX idx_incidents_kb_entry;
DROP INDEX idx_incidents_open;
DROP INDEX idx_incidents_severity_time;
DROP INDEX idx_incidents_component_time;
