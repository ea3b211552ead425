import type { DatabaseAdapter } from '@mfmig/core';
import { dbmateReader } from './dbmate.js';
import { flywayReader } from './flyway.js';
import { golangMigrateReader } from './golang-migrate.js';
import { knexReader } from './knex.js';
import { kyselyReader } from './kysely.js';
import { prismaReader } from './prisma.js';
import { sqlxReader } from './sqlx.js';
import { type ToolHistory, type ToolHistoryReader, toolRefusal } from './tool-history.js';

/** Every tool whose history table mfmig adopts; a new tool is one entry. */
export const TOOL_HISTORY_READERS: readonly ToolHistoryReader[] = [
  dbmateReader,
  golangMigrateReader,
  flywayReader,
  sqlxReader,
  prismaReader,
  kyselyReader,
  knexReader,
];

/**
 * The history another migration tool left in the database, or null when it carries none.
 * Refuses (ADOPTION_REFUSED) a database carrying the tables of several tools (which one is
 * right cannot be told) and any state a reader refuses (dirty, failed, locked). Read-only.
 *
 * @example
 * readToolHistory(adapter)?.tool; // 'dbmate'
 */
export function readToolHistory(adapter: DatabaseAdapter, readers: readonly ToolHistoryReader[] = TOOL_HISTORY_READERS): ToolHistory | null {
  const found = readers.filter((r) => r.detect(adapter));
  if (found.length === 0) return null;
  if (found.length > 1) {
    const names = found.map((r) => `${r.tool} (${r.table})`).join(', ');
    throw toolRefusal(
      found[0]!.tool,
      found[0]!.table,
      'several-tools',
      `Database ${adapter.filePath} carries the history tables of several migration tools: ${names}; which one is right cannot be told`,
    );
  }
  return found[0]!.read(adapter);
}

/**
 * The tables of every tool whose history table the database carries (detected, not read): left
 * out when a baseline compares the live schema with the migrations'.
 *
 * @example
 * detectedToolTables(adapter); // ['schema_migrations']
 */
export function detectedToolTables(adapter: DatabaseAdapter, readers: readonly ToolHistoryReader[] = TOOL_HISTORY_READERS): string[] {
  return [...new Set(readers.filter((r) => r.detect(adapter)).flatMap((r) => r.ownTables))];
}
