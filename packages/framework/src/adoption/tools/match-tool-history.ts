import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { type Migration, type MigrationSet, type RepeatableMigration, migrationLabel } from '@mfmig/core';
import { flywayChecksum } from './flyway.js';
import { type ToolHistory, type ToolRecord, toolRefusal } from './tool-history.js';

/** Another tool's history matched to the loaded migrations. */
export interface MatchedToolHistory {
  /** The version the database is at (the highest applied); 0 when the tool applied nothing. */
  version: number;
  /** The loaded migrations that tool applied: every one up to `version`, ascending. */
  migrations: Migration[];
  /** Repeatable migrations whose applied content (that tool's checksum) equals the file's. */
  repeatables: RepeatableMigration[];
}

/**
 * Matches what another tool applied to the loaded migrations: by version (Flyway's `1.1` to the
 * migration labelled `1.1`), or by file stem (Kysely, knex). Refuses (ADOPTION_REFUSED) a
 * migration applied there that the folder does not hold, and a gap (1 and 3 applied, 2 not):
 * mfmig would then run 2 over a schema that never had it, or not know what 3 did.
 *
 * @example
 * matchToolHistory((await readToolHistory(conn))!, set).version; // 3
 */
export function matchToolHistory(history: ToolHistory, set: MigrationSet): MatchedToolHistory {
  const applied = new Set<number>();
  const find = (record: ToolRecord): Migration => {
    const m = set.migrations.find((candidate) => matches(candidate, record));
    if (!m) {
      throw toolRefusal(
        history.tool,
        history.table,
        'not-in-folder',
        `${history.tool} applied migration ${record.label} (${history.table}), but the migrations folder holds no migration ${record.label}; add its file to the folder, or, when the folder's migrations were written anew, adopt the schema by its tables with \`mfmig baseline\``,
        { migration: record.label },
      );
    }
    return m;
  };
  for (const record of history.applied) applied.add(find(record).version);
  const top = history.upTo ? find(history.upTo).version : -Infinity;
  const version = Math.max(top, ...applied);
  if (!Number.isFinite(version)) return { version: 0, migrations: [], repeatables: [] };
  const below = set.migrations.filter((m) => m.version <= version);
  const gap = below.find((m) => m.version > top && !applied.has(m.version));
  if (gap) {
    throw toolRefusal(
      history.tool,
      history.table,
      'gap',
      `${history.tool} applied migrations up to ${labelOf(set.byVersion.get(version)!)} but not ${labelOf(gap)} (${history.table}); adopting would leave ${labelOf(gap)} never run. Apply it with ${history.tool} first`,
      { version: gap.version },
    );
  }
  return { version, migrations: below, repeatables: matchRepeatables(history, set.repeatables) };
}

function labelOf(m: Migration): string {
  return m.versionLabel ?? migrationLabel(m);
}

function matches(m: Migration, record: ToolRecord): boolean {
  if ('stem' in record) return stemsOf(m).includes(record.stem);
  if (m.versionLabel !== undefined && m.versionLabel === record.version) return true;
  return normalisedVersion(m.versionLabel ?? String(m.version)) === normalisedVersion(record.version);
}

/** The names a tool may have recorded a migration by: its file name without extension(s), its folder (Prisma), its label. */
function stemsOf(m: Migration): string[] {
  const file = basename(m.file);
  return [file.replace(/\.[^.]+$/, ''), file.replace(/(\.(up|down))?\.[^.]+$/, ''), basename(dirname(m.file)), migrationLabel(m), `${m.version}_${m.name}`];
}

/** `'001.10.0'` and `'1.10'` are the same version. */
function normalisedVersion(version: string): string {
  const parts = version.split(/[._]/).map((p) => (/^\d+$/.test(p) ? p.replace(/^0+(?=\d)/, '') : p));
  while (parts.length > 1 && parts.at(-1) === '0') parts.pop();
  return parts.join('.');
}

/** Repeatables the tool applied with the content the folder holds now (Flyway's CRC32 of the lines). */
function matchRepeatables(history: ToolHistory, repeatables: RepeatableMigration[]): RepeatableMigration[] {
  const matched: RepeatableMigration[] = [];
  for (const r of repeatables) {
    const done = history.repeatables.find((t) => basename(t.script) === basename(r.file));
    if (!done || done.checksum === null) continue;
    let content: string;
    try {
      content = readFileSync(r.file, 'utf8');
    } catch {
      continue; // a file that cannot be read now is not known to match: it stays pending and its run reports the problem
    }
    // node:zlib loads only for a Flyway adoption, not with every command
    if (flywayChecksum(content, process.getBuiltinModule('node:zlib').crc32) === done.checksum) matched.push(r);
  }
  return matched;
}
