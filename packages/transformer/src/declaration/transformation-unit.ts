import type { ResolvedTransformation } from './data-transformation.js';
import { orderTransformations } from './order-transformations.js';

/**
 * One runnable piece of work: a transformation, or one step of a `migrate` transformation.
 * `id` is unique within a list (`parent.step` for steps).
 *
 * @example
 * planUnits(list).map((u: TransformationUnit) => u.id); // ['pre', 'm.first', 'm.second']
 */
export interface TransformationUnit {
  id: string;
  transformation: ResolvedTransformation;
  /** The `migrate` transformation this step belongs to. */
  parent?: ResolvedTransformation;
}

/**
 * Orders transformations by their dependencies and expands `migrate` steps (ordered by their
 * own dependencies) into units, in the order they run.
 *
 * @example
 * planUnits(parseTransformations(migration.transformations)).map((u) => u.id);
 */
export function planUnits(list: readonly ResolvedTransformation[]): TransformationUnit[] {
  const units: TransformationUnit[] = [];
  for (const t of orderTransformations(list)) {
    if (t.transformationType === 'migrate' && t.steps) {
      for (const step of orderTransformations(t.steps)) units.push({ id: `${t.id}.${step.id}`, transformation: step, parent: t });
    } else {
      units.push({ id: t.id, transformation: t });
    }
  }
  return units;
}
