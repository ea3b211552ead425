import type * as ZodModule from 'zod';
import type { z as Z } from 'zod';
import { zodModule } from '@mfmig/core';
import { plainMilestoneSpec } from './plain-milestone-spec.js';

// built, and zod loaded, the first time a milestone file is read, not when the package is imported
// not `z` nor `zod`: declaration files name zod's namespace so, and `zod: typeof zod` would refer to itself
function buildSchemas(zodExports: typeof ZodModule) {
  const { z } = zodExports;
  const name = z.string().min(1);
  const scalar = z.union([z.string(), z.number(), z.null()]);

  const indexSpec = z
    .object({
      /** The index name the migrations give it; any index with these leading columns satisfies it. */
      name: name.optional(),
      columns: z.array(name).min(1),
      unique: z.boolean().optional(),
      /** The WHERE clause of a partial index that satisfies it (a full index always does). */
      where: name.optional(),
    })
    .strict();

  const referenceSpec = z
    .object({
      columns: z.array(name).min(1),
      table: name,
      /** Default: the parent's primary key. */
      parentColumns: z.array(name).min(1).optional(),
    })
    .strict();

  const tableSpec = z
    .object({
      columns: z.array(name).default([]),
      required: z.array(name).default([]),
      unique: z.array(z.array(name).min(1)).default([]),
      domains: z.record(name, z.array(z.union([z.string(), z.number()])).min(1)).default({}),
      indexes: z.array(indexSpec).default([]),
      references: z.array(referenceSpec).default([]),
    })
    .strict();

  const querySpec = z
    .object({
      name,
      sql: name,
      params: z.union([z.array(scalar), z.record(name, scalar)]).default([]),
      description: z.string().optional(),
    })
    .strict();

  const retireSpec = z
    .object({
      tables: z.array(name).default([]),
      columns: z.record(name, z.array(name)).default({}),
      indexes: z.array(name).default([]),
      views: z.array(name).default([]),
      criticalQueries: z.array(name).default([]),
    })
    .strict();

  const spec = z
    .object({
      $schema: z.string().optional(),
      $comment: z.string().optional(),
      milestone: z.number().int().positive(),
      title: z.string().optional(),
      description: z.string().optional(),
      tables: z.record(name, tableSpec).default({}),
      views: z.array(name).default([]),
      criticalQueries: z.array(querySpec).default([]),
      retires: retireSpec.optional(),
    })
    .strict();
  return { spec, tableSpec, querySpec };
}

let schemas: ReturnType<typeof buildSchemas> | undefined;

/**
 * The zod schema of a `milestone.json` file (built on first use).
 *
 * @example
 * milestoneSpecSchema().parse(JSON.parse(readFileSync('migrations/mvp1/milestone.json', 'utf8')));
 */
export function milestoneSpecSchema(): ReturnType<typeof buildSchemas>['spec'] {
  schemas ??= buildSchemas(zodModule());
  return schemas.spec;
}

/** A parsed `migrations/mvpN/milestone.json`: what milestone N requires of the database. */
export type MilestoneSpec = Z.infer<ReturnType<typeof buildSchemas>['spec']>;
/** One table's declaration in a milestone spec. */
export type TableSpec = Z.infer<ReturnType<typeof buildSchemas>['tableSpec']>;
/** A critical query declared by a milestone. */
export type CriticalQuerySpec = Z.infer<ReturnType<typeof buildSchemas>['querySpec']>;

/**
 * Parses the content of a `milestone.json` (a plainly valid one without loading zod, see
 * `plainMilestoneSpec`). Returns the spec, or a message naming the first problem (the field
 * path and what is wrong).
 *
 * @example
 * const parsed = parseMilestoneSpec({ milestone: 1, tables: { kb_entries: { columns: ['id'] } } });
 * if (parsed.ok) parsed.spec.tables.kb_entries?.columns; // ['id']
 */
export function parseMilestoneSpec(value: unknown): { ok: true; spec: MilestoneSpec } | { ok: false; message: string } {
  const plain = plainMilestoneSpec(value);
  if (plain) return { ok: true, spec: plain };
  const parsed = milestoneSpecSchema().safeParse(value);
  if (parsed.success) return { ok: true, spec: parsed.data };
  const issue = parsed.error.issues[0];
  const path = issue?.path.map(String).join('.') || '(root)';
  return { ok: false, message: `${path}: ${issue?.message ?? 'invalid'}` };
}
