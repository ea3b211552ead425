import type { AuditEntry, HistoryEntry, RunnableConnection, StepMetric } from '@mfmig/core';

/** What `mfmig history` shows on either database: `metrics` only when asked for. */
export interface HistoryDocument {
  history: HistoryEntry[];
  audit: AuditEntry[];
  metrics?: StepMetric[];
}

/**
 * The history rows, the audit log and, when asked, the `mfmig_metrics` rows of a database, read
 * through the dialect boundary: the same code on SQLite and PostgreSQL. Reads only.
 *
 * @example
 * const { history, audit } = await historyDocument(framework.context.connection, { metrics: false });
 */
export async function historyDocument(conn: RunnableConnection, options: { metrics: boolean }): Promise<HistoryDocument> {
  const document: HistoryDocument = { history: await conn.history.list(), audit: await conn.history.auditLog() };
  if (options.metrics) document.metrics = await conn.metrics.list();
  return document;
}
