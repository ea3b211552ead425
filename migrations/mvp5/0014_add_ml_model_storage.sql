-- description: Add ML model storage: models, their versions, evaluation metrics and the serialized model blobs
-- migrate:up
CREATE TABLE ml_models (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  model_type TEXT NOT NULL CHECK (model_type IN ('classifier', 'embedding', 'ranking', 'anomaly_detection', 'similarity')),
  purpose TEXT NOT NULL,
  description TEXT,
  created_by TEXT NOT NULL DEFAULT 'system',
  created_at TEXT NOT NULL
);

CREATE TABLE ml_model_versions (
  id INTEGER PRIMARY KEY,
  model_id INTEGER NOT NULL REFERENCES ml_models (id) ON DELETE CASCADE,
  version TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'training' CHECK (status IN ('training', 'staged', 'production', 'retired', 'failed')),
  framework TEXT NOT NULL,
  hyperparameters TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(hyperparameters)),
  training_rows INTEGER CHECK (training_rows IS NULL OR training_rows >= 0),
  trained_at TEXT,
  promoted_at TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (model_id, version)
);

CREATE TABLE ml_model_metrics (
  version_id INTEGER NOT NULL REFERENCES ml_model_versions (id) ON DELETE CASCADE,
  metric_name TEXT NOT NULL,
  dataset TEXT NOT NULL DEFAULT 'validation' CHECK (dataset IN ('training', 'validation', 'test', 'production')),
  metric_value REAL NOT NULL,
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (version_id, metric_name, dataset)
) WITHOUT ROWID;

CREATE TABLE ml_model_blobs (
  version_id INTEGER PRIMARY KEY REFERENCES ml_model_versions (id) ON DELETE CASCADE,
  content BLOB NOT NULL,
  size_bytes INTEGER NOT NULL CHECK (size_bytes = length(content)),
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
  compression TEXT NOT NULL DEFAULT 'none' CHECK (compression IN ('none', 'gzip', 'zstd')),
  stored_at TEXT NOT NULL
);

CREATE UNIQUE INDEX idx_ml_model_versions_production ON ml_model_versions (model_id) WHERE status = 'production';

-- migrate:down
DROP TABLE ml_model_blobs;
DROP TABLE ml_model_metrics;
DROP TABLE ml_model_versions;
DROP TABLE ml_models;
