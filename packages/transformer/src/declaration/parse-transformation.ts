import type * as ZodModule from 'zod';
import type { z as Z } from 'zod';
import { MfmigError, zodModule } from '@mfmig/core';
import type { DataTransformation, ResolvedTransformation, ValidationQuery } from './data-transformation.js';
import { plainTransformation } from './plain-transformation.js';
import { TRANSFORMATION_TYPES } from './transformation-types.js';

// not `z` nor `zod`: declaration files name zod's namespace so
function buildBase(zodExports: typeof ZodModule) {
  const { z } = zodExports;
  const name = z
    .string()
    .min(1)
    .max(256)
    .refine((v) => !v.includes('\0'), 'must not contain NUL');
  const count = z.number().int().nonnegative();

  const expectation = z.union([
    z.number(),
    z.enum(['zero', 'nonZero', 'any', 'sourceCount', 'targetCount']),
    z.object({ query: z.string().min(1) }).strict(),
    z
      .object({ min: z.number().optional(), max: z.number().optional() })
      .strict()
      .refine((v) => v.min !== undefined || v.max !== undefined, 'give min, max or both'),
  ]);

  const validationQuery = z.union([
    z.string().min(1),
    z.object({ sql: z.string().min(1), expect: expectation.optional(), message: z.string().optional() }).strict(),
  ]);

  const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'must be a function');

  return z.object({
    id: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_.:-]+$/, 'use letters, digits, _ . : -'),
    name: z.string().min(1),
    description: z.string().optional(),
    sourceTable: name,
    targetTable: name,
    transformationType: z.enum(TRANSFORMATION_TYPES as [string, ...string[]]),
    sql: z.string().min(1).optional(),
    transform: fn.optional(),
    columns: z.array(name).min(1).optional(),
    writeMode: z.enum(['insert', 'upsert', 'update']).optional(),
    key: z.array(name).min(1).optional(),
    sourceKey: name.optional(),
    reversible: z.boolean(),
    reverse: z.union([z.string().min(1), fn]).optional(),
    estimatedRows: count.optional(),
    estimatedDuration: z.number().nonnegative().optional(),
    dependencies: z.array(z.string().min(1)).default([]),
    validationQueries: z.array(validationQuery).default([]),
    batch: z.enum(['auto', 'always', 'never']).default('auto'),
    batchSize: z.number().int().positive().max(1_000_000).optional(),
  });
}

type Shape = Z.infer<ReturnType<typeof buildBase>> & { steps?: Shape[] };

function buildSchema(zodExports: typeof ZodModule): Z.ZodType<Shape> {
  const { z } = zodExports;
  const schema: Z.ZodType<Shape> = buildBase(zodExports)
    .extend({
      steps: z
        .array(z.lazy(() => schema))
        .min(1)
        .optional(),
    })
    .strict()
    .superRefine((t, ctx) => {
      const issue = (message: string, path: string) => ctx.addIssue({ code: 'custom', message, path: [path] });
      if (t.sql !== undefined && t.transform !== undefined) issue('give sql or transform, not both', 'transform');
      if (t.steps !== undefined && t.transformationType !== 'migrate') issue('only a migrate transformation has steps', 'steps');
      if (t.steps !== undefined && (t.sql !== undefined || t.transform !== undefined))
        issue('a migrate transformation with steps has no sql or transform of its own', 'steps');
      const needsBody = t.transformationType !== 'copy' && !(t.transformationType === 'migrate' && t.steps);
      if (needsBody && t.sql === undefined && t.transform === undefined) {
        issue(`a ${t.transformationType} transformation needs sql or a transform function${t.transformationType === 'migrate' ? ' or steps' : ''}`, 'sql');
      }
      if (t.reverse !== undefined && !t.reversible) issue('a reverse is declared but reversible is false', 'reverse');
      if (t.dependencies.includes(t.id)) issue('a transformation cannot depend on itself', 'dependencies');
    });
  return schema;
}

// zod loads when a declaration is first validated, not when the package is imported
let schema: Z.ZodType<Shape> | undefined;

/** What the zod schema makes of a declaration (the authority `plainTransformation` is held to). */
export function schemaParse(input: unknown): ReturnType<Z.ZodType<Shape>['safeParse']> {
  schema ??= buildSchema(zodModule());
  return schema.safeParse(input);
}

/**
 * Validates one declaration (plainly valid ones without loading zod) and applies defaults. Throws `TRANSFORMATION_INVALID` naming
 * the transformation and the field.
 *
 * @example
 * const t = parseTransformation({ id: 'copy_kb', name: 'Copy KB', sourceTable: 'kb_entries', targetTable: 'kb_archive',
 *   transformationType: 'copy', reversible: false, dependencies: [], validationQueries: [] });
 */
export function parseTransformation(input: unknown): ResolvedTransformation {
  const plain = plainTransformation(input);
  if (plain) return resolve(plain as Shape, input as DataTransformation);
  const result = schemaParse(input);
  if (!result.success) {
    const id = typeof (input as { id?: unknown } | null)?.id === 'string' ? (input as { id: string }).id : '(no id)';
    const problems = result.error.issues.map((i) => `${i.path.join('.') || 'declaration'}: ${i.message}`).join('; ');
    throw new MfmigError('TRANSFORMATION_INVALID', `Transformation ${id} is malformed: ${problems}`, { context: { transformation: id } });
  }
  return resolve(result.data, input as DataTransformation);
}

/**
 * Validates a list of declarations; ids must be unique.
 *
 * @example
 * const list = parseTransformations(migration.transformations);
 */
export function parseTransformations(inputs: readonly unknown[]): ResolvedTransformation[] {
  const list = inputs.map((i) => parseTransformation(i));
  const seen = new Set<string>();
  for (const t of list) {
    if (seen.has(t.id)) throw new MfmigError('TRANSFORMATION_INVALID', `Transformation id ${t.id} is declared twice`, { context: { transformation: t.id } });
    seen.add(t.id);
  }
  return list;
}

function resolve(shape: Shape, original: DataTransformation): ResolvedTransformation {
  const queries: ValidationQuery[] = shape.validationQueries.map((q) => (typeof q === 'string' ? { sql: q } : q));
  return {
    ...(shape as Omit<Shape, 'steps' | 'validationQueries'>),
    transform: original.transform,
    reverse: original.reverse,
    writeMode: shape.writeMode,
    transformationType: shape.transformationType as ResolvedTransformation['transformationType'],
    validationQueries: queries,
    steps: shape.steps?.map((s, i) => resolve(s, original.steps![i]!)),
  };
}
