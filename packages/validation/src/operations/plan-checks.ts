import { dirname, resolve } from 'node:path';
import { type MigrationSet, migrationLabel, resolveTargetVersion } from '@mfmig/core';
import { finding } from '../report/finding-codes.js';
import type { ValidationFinding } from '../report/types.js';
import type { RunState } from '../run/run-state.js';
import { type ParsedPlan, parseMigrationPlan } from './migration-plan.js';
import { databaseFile, freeBytes } from './state-checks.js';

/** A plan as the run parsed it: once per run, however many checks read it. */
const parsedPlans = new WeakMap<object, ReturnType<typeof parseMigrationPlan>>();

/**
 * The plan of a `validateMigrationPlan` run, parsed (once per run: `run` is the operation).
 *
 * @example
 * const parsed = planOf(op);
 * if (!parsed.ok) rec.add([planInvalid(parsed.message)]);
 */
export function planOf(run: { plan: unknown }): ReturnType<typeof parseMigrationPlan> {
  let parsed = parsedPlans.get(run);
  if (!parsed) {
    parsed = parseMigrationPlan(run.plan);
    parsedPlans.set(run, parsed);
  }
  return parsed;
}

/**
 * The finding for a plan that is not a plan (no check runs on it then).
 *
 * @example
 * planInvalid('steps: Required').code; // 'PLAN_INVALID'
 */
export function planInvalid(message: string): ValidationFinding {
  return finding(
    'PLAN_INVALID',
    `The migration plan is malformed: ${message}`,
    'Pass { currentMVP, targetMVP, steps: [{ version }], riskLevel? } (see the @mfmig/validation README)',
  );
}

/**
 * A plan against the migrations folder and the database: the target milestone exists, the
 * plan starts where the database is, every step exists, goes the plan's way, in order, is not
 * already done (or, going down, is applied), none is missing, and each down step has a down
 * migration. `state` is what the database says: its history, and the milestone it is at (null
 * without a history); any dialect can give them.
 *
 * @example
 * checkPlanSteps(plan, state.migrations, state).map((f) => f.code); // ['PLAN_STALE']
 * checkPlanSteps(plan, set, { currentMvp: 1, history: await conn.history.list() });
 */
export function checkPlanSteps(plan: ParsedPlan, set: MigrationSet, state: Pick<RunState, 'currentMvp' | 'history'>): ValidationFinding[] {
  const out: ValidationFinding[] = [];
  if (plan.targetMVP !== 0 && !set.milestones.includes(plan.targetMVP)) {
    return [
      finding(
        'PLAN_TARGET_UNKNOWN',
        `The plan targets MVP${plan.targetMVP}, which the migrations folder does not have (it has ${set.milestones.map((m) => `MVP${m}`).join(', ') || 'none'})`,
        'Plan again for a milestone that exists',
      ),
    ];
  }
  if (state.currentMvp !== null && plan.currentMVP !== state.currentMvp) {
    out.push(
      finding(
        'PLAN_STALE',
        `The plan starts at MVP${plan.currentMVP}, but the database is at MVP${state.currentMvp}`,
        'Plan again from the current state of the database',
      ),
    );
  }
  const direction = plan.targetMVP >= plan.currentMVP ? 'up' : 'down';
  const target = resolveTargetVersion(set, { mvp: plan.targetMVP });
  const applied = new Set(state.history.map((h) => h.version));
  let previous: number | undefined;
  for (const step of plan.steps) {
    const m = set.byVersion.get(step.version);
    if (!m) {
      out.push(
        finding(
          'PLAN_STEP_UNKNOWN',
          `Plan step ${step.version} is not a migration of the folder`,
          'Plan again: the migrations folder changed since the plan was made',
          { version: step.version },
        ),
      );
      continue;
    }
    const label = migrationLabel(m);
    if (step.direction && step.direction !== direction) {
      out.push(
        finding(
          'PLAN_STEP_DIRECTION',
          `Plan step ${label} goes ${step.direction} in a plan that goes ${direction} (MVP${plan.currentMVP} -> MVP${plan.targetMVP})`,
          'Plan again',
          { version: m.version },
        ),
      );
    }
    if (previous !== undefined && (direction === 'up' ? m.version < previous : m.version > previous)) {
      out.push(
        finding(
          'PLAN_STEP_ORDER',
          `Plan step ${label} is out of order (${direction === 'up' ? 'ascending' : 'descending'} versions expected)`,
          'Order the steps by version',
          { version: m.version },
        ),
      );
    }
    previous = m.version;
    if (direction === 'up' && m.version > target)
      out.push(
        finding('PLAN_STEP_OUT_OF_RANGE', `Plan step ${label} (MVP${m.mvp}) goes beyond the target MVP${plan.targetMVP}`, 'Remove it from the plan', {
          version: m.version,
          milestone: m.mvp,
        }),
      );
    if (direction === 'down' && m.version <= target)
      out.push(
        finding(
          'PLAN_STEP_OUT_OF_RANGE',
          `Plan step ${label} (MVP${m.mvp}) reverts a migration the target MVP${plan.targetMVP} keeps`,
          'Remove it from the plan',
          { version: m.version, milestone: m.mvp },
        ),
      );
    if (direction === 'up' && applied.has(m.version))
      out.push(finding('PLAN_STEP_APPLIED', `Plan step ${label} is already applied`, 'Plan again from the current state', { version: m.version }));
    if (direction === 'down' && !applied.has(m.version))
      out.push(
        finding('PLAN_STEP_NOT_APPLIED', `Plan step ${label} is not applied, so it cannot be reverted`, 'Plan again from the current state', {
          version: m.version,
        }),
      );
    if (direction === 'down' && !m.down)
      out.push(
        finding(
          'PLAN_NO_DOWN',
          `Plan step ${label} has no down migration: it cannot be reverted`,
          'Restore a backup instead of rolling back, or add a down section',
          { version: m.version },
        ),
      );
    if (direction === 'up' && (!m.down || m.irreversible)) {
      out.push(
        finding(
          'PLAN_IRREVERSIBLE_STEP',
          `Plan step ${label} cannot be fully undone (${m.down ? 'declared irreversible' : 'no down migration'}): going back needs the backup`,
          'Make sure a backup is taken before the run (the default)',
          { version: m.version },
        ),
      );
    }
  }
  const planned = new Set(plan.steps.map((s) => s.version));
  const needed =
    direction === 'up'
      ? set.migrations.filter((m) => m.version <= target && !applied.has(m.version)).map((m) => m.version)
      : [...applied].filter((v) => v > target);
  const missing = needed.filter((v) => !planned.has(v)).sort((a, b) => a - b);
  if (missing.length > 0) {
    out.push(
      finding(
        'PLAN_INCOMPLETE',
        `The plan misses ${missing.length} step(s) needed to reach MVP${plan.targetMVP}: ${missing.join(', ')}`,
        'Plan again from the current state',
        { version: missing[0]! },
        { count: missing.length },
      ),
    );
  }
  return out;
}

/**
 * What a plan declares beyond its steps: the disk space it needs is free next to the
 * database, and a high or critical risk is flagged.
 *
 * @example
 * checkPlanResources(plan, state).map((f) => f.code); // ['PLAN_HIGH_RISK']
 */
export function checkPlanResources(plan: ParsedPlan, state: RunState): ValidationFinding[] {
  const out: ValidationFinding[] = [];
  const file = databaseFile(state);
  if (plan.storageRequired !== null && file) {
    const free = freeBytes(dirname(resolve(file)));
    if (plan.storageRequired > free) {
      out.push(
        finding(
          'PLAN_DISK_SPACE',
          `The plan needs ${plan.storageRequired} bytes of disk space, but only ${free} are free next to the database`,
          'Free disk space (or put backups on another disk with BACKUP_PATH) before running the plan',
        ),
      );
    }
  }
  out.push(...checkPlanRisk(plan));
  return out;
}

/**
 * The risk a plan declares: a high or critical one is flagged (`PLAN_HIGH_RISK`). Reads nothing
 * but the plan.
 *
 * @example
 * checkPlanRisk({ ...plan, riskLevel: 'high' }).map((f) => f.code); // ['PLAN_HIGH_RISK']
 */
export function checkPlanRisk(plan: Pick<ParsedPlan, 'riskLevel' | 'requiresDowntime'>): ValidationFinding[] {
  if (plan.riskLevel !== 'high' && plan.riskLevel !== 'critical') return [];
  return [
    finding(
      'PLAN_HIGH_RISK',
      `The plan is ${plan.riskLevel} risk${plan.requiresDowntime ? ' and needs downtime' : ''}`,
      'Run it in a maintenance window with a verified backup; the CLI asks for --yes',
    ),
  ];
}
