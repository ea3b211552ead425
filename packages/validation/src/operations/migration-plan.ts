import type * as ZodModule from 'zod';
import type { z as Z } from 'zod';
import { zodModule } from '@mfmig/core';

// built, and zod loaded, the first time a plan is parsed, not when the package is imported
// not `z` nor `zod`: declaration files name zod's namespace so, and `zod: typeof zod` would refer to itself
function buildSchemas(zodExports: typeof ZodModule) {
  const { z } = zodExports;
  const stepSchema = z
    .object({
      version: z.number().int().nonnegative(),
      name: z.string().optional(),
      mvp: z.number().int().nonnegative().optional(),
      direction: z.enum(['up', 'down']).optional(),
    })
    .passthrough();

  const bytes = z.number().nonnegative();

  const plan = z
    .object({
      currentMVP: z.number().int().nonnegative(),
      targetMVP: z.number().int().nonnegative(),
      steps: z.array(z.union([z.number().int().nonnegative(), stepSchema, z.object({ migration: stepSchema }).passthrough()])),
      riskLevel: z.enum(['low', 'medium', 'high', 'critical']).optional(),
      requiresDowntime: z.boolean().optional(),
      /** Bytes the plan needs on disk, all in all. */
      storageRequired: bytes.optional(),
      resources: z
        .object({ storage: z.object({ additionalSpaceRequired: bytes.optional(), backupSpaceRequired: bytes.optional() }).passthrough().optional() })
        .passthrough()
        .optional(),
    })
    .passthrough();
  return { plan, stepSchema };
}

let schemas: ReturnType<typeof buildSchemas> | undefined;
type StepShape = Z.infer<ReturnType<typeof buildSchemas>['stepSchema']>;

/**
 * The plan shape `ValidationService.validateMigrationPlan` accepts (extra fields are ignored), built on first use.
 *
 * @example
 * migrationPlanSchema().safeParse({ currentMVP: 1, targetMVP: 2, steps: [3, 4, 5] }).success; // true
 */
export function migrationPlanSchema(): ReturnType<typeof buildSchemas>['plan'] {
  schemas ??= buildSchemas(zodModule());
  return schemas.plan;
}

/** One step of a plan as a caller gives it: a version, or an object naming one. */
export interface PlanStepInput {
  version: number;
  name?: string;
  mvp?: number;
  direction?: 'up' | 'down';
}

/**
 * A plan as the planner (or a caller) describes it: `{ currentMVP, targetMVP, steps, riskLevel?, ... }`.
 * Declared without index signatures so that the planner's `MigrationPlan` (and any object with
 * more fields) is accepted as it is; extra fields are ignored.
 */
export interface MigrationPlanInput {
  currentMVP: number;
  targetMVP: number;
  steps: readonly (number | PlanStepInput | { migration: PlanStepInput })[];
  riskLevel?: 'low' | 'medium' | 'high' | 'critical';
  requiresDowntime?: boolean;
  /** Bytes the plan needs on disk, all in all. */
  storageRequired?: number;
  resources?: { storage?: { additionalSpaceRequired?: number; backupSpaceRequired?: number } };
}

/** A plan step, normalised. */
export interface PlanStep {
  version: number;
  direction?: 'up' | 'down';
}

/** A parsed plan: its steps normalised and the disk space it declares (null when it declares none). */
export interface ParsedPlan {
  currentMVP: number;
  targetMVP: number;
  steps: PlanStep[];
  riskLevel?: 'low' | 'medium' | 'high' | 'critical';
  requiresDowntime?: boolean;
  storageRequired: number | null;
}

/**
 * Parses a plain plan object. Steps may be version numbers, `{ version, direction? }` or
 * `{ migration: { version } }`. Returns a message naming the first problem when it is not a plan.
 *
 * @example
 * parseMigrationPlan({ currentMVP: 1, targetMVP: 2, steps: [3, 4, 5] });
 */
export function parseMigrationPlan(input: unknown): { ok: true; plan: ParsedPlan } | { ok: false; message: string } {
  const parsed = migrationPlanSchema().safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, message: `${issue?.path.map(String).join('.') || 'plan'}: ${issue?.message ?? 'invalid'}` };
  }
  const p = parsed.data;
  const steps = p.steps.map((s): PlanStep => {
    if (typeof s === 'number') return { version: s };
    const step = 'migration' in s && typeof s.migration === 'object' ? (s.migration as StepShape) : (s as StepShape);
    return step.direction ? { version: step.version, direction: step.direction } : { version: step.version };
  });
  const storage = p.resources?.storage;
  const declared =
    storage && (storage.additionalSpaceRequired !== undefined || storage.backupSpaceRequired !== undefined)
      ? (storage.additionalSpaceRequired ?? 0) + (storage.backupSpaceRequired ?? 0)
      : null;
  return {
    ok: true,
    plan: {
      currentMVP: p.currentMVP,
      targetMVP: p.targetMVP,
      steps,
      riskLevel: p.riskLevel,
      requiresDowntime: p.requiresDowntime,
      storageRequired: p.storageRequired ?? declared,
    },
  };
}
