-- description: Record how each KB entry was rated when used, for success-rate ranking
-- migrate:up
CREATE TABLE kb_feedback (
  id INTEGER PRIMARY KEY,
  entry_id INTEGER NOT NULL REFERENCES kb_entries (id) ON DELETE CASCADE,
  rating TEXT NOT NULL CHECK (rating IN ('success', 'failure')),
  comment TEXT,
  created_at TEXT NOT NULL
);

CREATE INDEX idx_kb_feedback_entry ON kb_feedback (entry_id);

CREATE VIEW kb_entry_stats AS
SELECT e.id, e.title, e.category, e.usage_count,
       CASE WHEN e.usage_count = 0 THEN 0.0 ELSE round(e.success_count * 1.0 / e.usage_count, 3) END AS success_rate
FROM kb_entries e
WHERE e.archived = 0;

-- migrate:down
DROP VIEW kb_entry_stats;
DROP TABLE kb_feedback;
