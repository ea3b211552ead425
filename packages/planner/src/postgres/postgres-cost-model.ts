import {
  type MigrationSet,
  type PgRowWork,
  type PgTableSize,
  type PostgresConnection,
  type PostgresCostProbe,
  analyzePostgresSql,
  probePostgresCosts,
  tableSizes,
} from '@mfmig/core';

/** The model's estimates: seconds per analysed step, by version, and the probe they were priced with. */
export interface ModelEstimates {
  steps: Map<number, number>;
  probe: PostgresCostProbe;
}

/** A model that could not be priced: why (the probe was refused, ...). */
export interface FailedModel {
  failed: string;
}

/** A table as the model sees it while it walks the steps: its catalog size, then what earlier statements did to it. */
type TableState = Pick<PgTableSize, 'rows' | 'bytesPerRow' | 'indexes'>;

/** Seconds per row to copy rows of `bytes`, on the line through the probe's narrow and wide copies (never below half the narrow cost). */
function copyPerRow(probe: PostgresCostProbe, bytes: number): number {
  const { copyNarrow, copyWide } = probe.secondsPerRow;
  if (bytes <= 0) return copyWide;
  const slope = Math.max(0, (copyWide - copyNarrow) / Math.max(1, probe.wideRowBytes - probe.narrowRowBytes));
  return Math.max(copyNarrow / 2, copyNarrow + slope * (bytes - probe.narrowRowBytes));
}

/**
 * Seconds one statement's row work takes, given the tables as the earlier statements left them,
 * which it updates in turn (rows an INSERT adds, an index it builds). Per row, from the probe: a
 * rewrite copies the table and rebuilds each of its indexes; an index build, once (CONCURRENTLY
 * reads the table a second time); a validating scan reads it; an INSERT copies the rows of its
 * largest source, reads the other sources and adds them to each index of the target; an UPDATE
 * or DELETE touches every row of its table. Scans, updates and deletes scale with row width as
 * copies do.
 *
 * @example
 * workSeconds([{ kind: 'rewrite', table: 'events' }], (t) => sizes.get(t)!, probe);
 */
export function workSeconds(work: readonly PgRowWork[], table: (name: string) => TableState, probe: PostgresCostProbe): number {
  const s = probe.secondsPerRow;
  const width = (t: TableState) => copyPerRow(probe, t.bytesPerRow) / s.copyWide;
  let seconds = 0;
  for (const w of work) {
    const t = table(w.table);
    if (w.kind === 'rewrite') seconds += t.rows * (copyPerRow(probe, t.bytesPerRow) + s.index * t.indexes);
    else if (w.kind === 'index') {
      seconds += t.rows * (s.index + (w.concurrent ? s.scan * width(t) : 0));
      t.indexes += 1;
    } else if (w.kind === 'scan') seconds += t.rows * s.scan * width(t);
    else if (w.kind === 'update') seconds += t.rows * s.update * width(t);
    else if (w.kind === 'delete') seconds += t.rows * s.delete * width(t);
    else {
      const sources = (w.from ?? []).map(table).sort((a, b) => b.rows - a.rows);
      const [largest, ...others] = sources;
      const written = largest?.rows ?? 0;
      const bytes = largest?.bytesPerRow || t.bytesPerRow;
      seconds += written * (copyPerRow(probe, bytes) + s.index * t.indexes) + others.reduce((sum, o) => sum + o.rows * s.scan * width(o), 0);
      if (t.rows === 0 && written > 0) t.bytesPerRow = bytes;
      t.rows += written;
    }
  }
  return seconds;
}

/**
 * The model's estimate of each SQL step of `versions` (the pending steps, in order), priced on
 * this server: the sizes of the tables the statements touch, from the catalog (see `tableSizes`;
 * a table the catalog does not hold yet, created by an earlier step, starts empty and grows by
 * what INSERTs put in it), and the per-row costs of a probe run once, now (see
 * `probePostgresCosts`). A step costs its statements' row work (see {@link workSeconds}) plus
 * the probe's catalog-only statement time per statement. A module step has no estimate: what it
 * runs is known only when it runs. A probe that fails is returned as the reason, not thrown.
 *
 * @example
 * const model = await modelEstimates(url, conn, migrations, [4, 5]);
 * if (!('failed' in model)) model.steps.get(4); // 0.012
 */
export async function modelEstimates(
  url: string,
  conn: PostgresConnection,
  migrations: MigrationSet,
  versions: readonly number[],
): Promise<ModelEstimates | FailedModel> {
  const scripts = await Promise.all(
    versions.map(async (version) => {
      const m = migrations.byVersion.get(version);
      return { version, statements: m?.kind === 'sql' ? await analyzePostgresSql(m.upSql ?? '') : undefined };
    }),
  );
  const own = (name: string) => (name.startsWith(`${conn.schema}.`) ? name.slice(conn.schema.length + 1) : name);
  const named = scripts.flatMap((s) => s.statements?.flatMap((st) => st.rowWork.flatMap((w) => [w.table, ...(w.from ?? [])])) ?? []);
  const sizes = await tableSizes(conn, [...new Set(named.map(own))]);
  let probe: PostgresCostProbe;
  try {
    probe = await probePostgresCosts(url, { schema: conn.schema });
  } catch (error) {
    return { failed: `the cost probe could not run: ${(error as Error)?.message ?? String(error)}` };
  }
  const tables = new Map<string, TableState>();
  const table = (name: string): TableState => {
    const key = own(name);
    let state = tables.get(key);
    if (state === undefined) {
      const size = sizes.get(key);
      state = { rows: size?.rows ?? 0, bytesPerRow: size?.bytesPerRow ?? 0, indexes: size?.indexes ?? 0 };
      tables.set(key, state);
    }
    return state;
  };
  const steps = new Map<number, number>();
  for (const { version, statements } of scripts) {
    if (statements === undefined) continue;
    steps.set(
      version,
      statements.reduce((sum, st) => sum + probe.statementSeconds + workSeconds(st.rowWork, table, probe), 0),
    );
  }
  return { steps, probe };
}
