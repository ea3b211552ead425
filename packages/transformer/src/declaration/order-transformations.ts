import { MfmigError } from '@mfmig/core';
import type { ResolvedTransformation } from './data-transformation.js';

/**
 * Orders transformations so that each runs after its `dependencies` (stable: declaration
 * order where free). An unknown dependency or a cycle is a `TRANSFORMATION_INVALID` error
 * naming the ids involved.
 *
 * @example
 * orderTransformations([b, a]).map((t) => t.id); // ['a', 'b'] when b depends on a
 */
export function orderTransformations<T extends Pick<ResolvedTransformation, 'id' | 'dependencies'>>(list: readonly T[]): T[] {
  const byId = new Map(list.map((t) => [t.id, t]));
  for (const t of list) {
    for (const dep of t.dependencies) {
      if (!byId.has(dep)) {
        throw new MfmigError('TRANSFORMATION_INVALID', `Transformation ${t.id} depends on ${dep}, which is not declared with it`, {
          context: { transformation: t.id, dependency: dep },
        });
      }
    }
  }
  const ordered: T[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (t: T, path: string[]): void => {
    const s = state.get(t.id);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(t.id)), t.id];
      throw new MfmigError('TRANSFORMATION_INVALID', `Transformation dependencies form a cycle: ${cycle.join(' -> ')}`, {
        context: { cycle },
      });
    }
    state.set(t.id, 'visiting');
    for (const dep of t.dependencies) visit(byId.get(dep)!, [...path, t.id]);
    state.set(t.id, 'done');
    ordered.push(t);
  };
  for (const t of list) visit(t, []);
  return ordered;
}
