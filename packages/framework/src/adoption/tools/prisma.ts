import type { ToolHistoryReader } from './tool-history.js';
import { toolRefusal } from './tool-history.js';

/**
 * Prisma: `_prisma_migrations(id, checksum, finished_at, migration_name, logs, rolled_back_at,
 * started_at, applied_steps_count)`. Applied: `finished_at` set and `rolled_back_at` null. A
 * migration started but neither finished nor rolled back failed part-way and is refused
 * (`prisma migrate resolve` settles it). `20240101120000_init` gives version 20240101120000.
 *
 * @example
 * (await prismaReader.read(conn)).applied; // [{ version: '20240101120000', label: '20240101120000_init' }]
 */
export const prismaReader: ToolHistoryReader = {
  tool: 'prisma',
  table: '_prisma_migrations',
  ownTables: ['_prisma_migrations'],
  detect: (conn) => conn.hasTable('_prisma_migrations'),
  async read(conn) {
    const rows = await conn.query<{ migration_name: string; finished_at: unknown; rolled_back_at: unknown }>(
      'SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at, migration_name',
    );
    const unfinished = rows.find((r) => r.finished_at == null && r.rolled_back_at == null);
    if (unfinished) {
      throw toolRefusal(
        'prisma',
        '_prisma_migrations',
        'unfinished',
        `Prisma started migration ${unfinished.migration_name} but never finished it: settle it with \`prisma migrate resolve\` first`,
      );
    }
    const names = [...new Set(rows.filter((r) => r.finished_at != null && r.rolled_back_at == null).map((r) => r.migration_name))];
    const applied = names.map((name) => {
      const version = /^(\d+)_/.exec(name)?.[1];
      return version === undefined ? { stem: name, label: name } : { version, label: name };
    });
    return { tool: 'prisma', table: '_prisma_migrations', ownTables: ['_prisma_migrations'], applied, repeatables: [] };
  },
};
