import { type Verdict, breaking, compatible } from './schema-compare.js';

/** The values of a `CHECK ((col = ANY (ARRAY['a'::text, 'b'::text])))`, PostgreSQL's print of `col IN ('a', 'b')`; undefined for any other check. */
function anyListValues(definition: string): { column: string; values: string[] } | undefined {
  const match = /^CHECK \(\(?\(?("(?:[^"]|"")+"|[^\s()]+) = ANY \(ARRAY\[(.*)\]\)\)?\)?\)$/.exec(definition);
  return match ? { column: match[1]!, values: match[2]!.split(', ') } : undefined;
}

/** A changed check that allows every value it allowed before: the same column's `IN` list, grown. */
export function checkVerdict(from: string, to: string): Verdict {
  const a = anyListValues(from);
  const b = anyListValues(to);
  return a && b && a.column === b.column && a.values.every((v) => b.values.includes(v))
    ? compatible('CHECK widened: every value allowed before is still allowed')
    : breaking('CHECK constraint changed: writes the old schema accepted can fail');
}
