/**
 * The part of a `pg` client the dialect uses, as its own type: mfmig's published declarations
 * then never name `pg`, so a project on SQLite type-checks without it installed.
 */
export interface PgSession {
  query<Row = any>(sql: string, params?: unknown[]): Promise<{ rows: Row[]; rowCount: number | null }>;
  end(): Promise<void>;
}
