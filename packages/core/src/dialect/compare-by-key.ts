import { type SchemaChange, type Verdict, adder } from './schema-compare.js';

/** Objects of one kind on both sides, by key: added, changed (when `same` says so) and removed, each with its verdict. */
export function compareByKey<T>(
  changes: SchemaChange[],
  objectType: 'view' | 'trigger' | 'function' | 'type' | 'sequence',
  from: T[],
  to: T[],
  rules: {
    key: (o: T) => string;
    label: (o: T) => string;
    same: (a: T, b: T) => boolean;
    added: Verdict;
    removed: Verdict;
    changed: (a: T, b: T) => Verdict;
    /** What changed, in words, after the label: ` (labels a, b -> a, b, c)`. */
    detail?: (a: T, b: T) => string;
  },
): void {
  const add = adder(changes, objectType);
  const before = new Map(from.map((o) => [rules.key(o), o]));
  const after = new Map(to.map((o) => [rules.key(o), o]));
  for (const [key, y] of after) {
    const x = before.get(key);
    if (!x) add(`${objectType}-added`, key, `${objectType} ${rules.label(y)} added`, rules.added, undefined, y);
    else if (!rules.same(x, y)) {
      add(`${objectType}-changed`, key, `${objectType} ${rules.label(y)} changed${rules.detail?.(x, y) ?? ''}`, rules.changed(x, y), x, y);
    }
  }
  for (const [key, x] of before) if (!after.has(key)) add(`${objectType}-removed`, key, `${objectType} ${rules.label(x)} dropped`, rules.removed, x);
}
