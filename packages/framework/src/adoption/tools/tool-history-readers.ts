import type { DialectConnection } from '@mfmig/core';
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
 * (await readToolHistory(framework.context.connection))?.tool; // 'dbmate'
 */
export async function readToolHistory(conn: DialectConnection, readers: readonly ToolHistoryReader[] = TOOL_HISTORY_READERS): Promise<ToolHistory | null> {
  const found = await detected(conn, readers);
  if (found.length === 0) return null;
  if (found.length > 1) {
    const names = found.map((r) => `${r.tool} (${r.table})`).join(', ');
    throw toolRefusal(
      found[0]!.tool,
      found[0]!.table,
      'several-tools',
      `Database ${conn.target} carries the history tables of several migration tools: ${names}; which one is right cannot be told`,
    );
  }
  return found[0]!.read(conn);
}

/**
 * The tables of every tool whose history table the database carries (detected, not read): left
 * out when a baseline compares the live schema with the migrations'.
 *
 * @example
 * await detectedToolTables(conn); // ['schema_migrations']
 */
export async function detectedToolTables(conn: DialectConnection, readers: readonly ToolHistoryReader[] = TOOL_HISTORY_READERS): Promise<string[]> {
  return [...new Set((await detected(conn, readers)).flatMap((r) => r.ownTables))];
}

async function detected(conn: DialectConnection, readers: readonly ToolHistoryReader[]): Promise<ToolHistoryReader[]> {
  const found: ToolHistoryReader[] = [];
  for (const reader of readers) if (await reader.detect(conn)) found.push(reader);
  return found;
}
