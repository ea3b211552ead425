import { PLAIN_FAIL, type PlainCheck, plain } from '@mfmig/core';
import type { MilestoneSpec } from './milestone-spec.js';

// The common case without zod (see core's plain-shape.ts): a milestone.json that plainly passes
// every check of the schema in milestone-spec.ts is given back as zod would give it, so that a
// run does not load zod to read the shipped milestones. Anything else goes through zod.

const { name, text, flag, list, record, object, required, optional, orElse } = plain;
const none = () => [];
const empty = () => ({});
const scalar: PlainCheck = (v) => (typeof v === 'string' || Number.isFinite(v) || v === null ? v : PLAIN_FAIL);
const domainValue: PlainCheck = (v) => (typeof v === 'string' || Number.isFinite(v) ? v : PLAIN_FAIL);

const indexSpec = object({ name: optional(name), columns: required(list(name, 1)), unique: optional(flag), where: optional(name) });
const referenceSpec = object({ columns: required(list(name, 1)), table: required(name), parentColumns: optional(list(name, 1)) });
const tableSpec = object({
  columns: orElse(list(name), none),
  required: orElse(list(name), none),
  unique: orElse(list(list(name, 1)), none),
  domains: orElse(record(list(domainValue, 1)), empty),
  indexes: orElse(list(indexSpec), none),
  references: orElse(list(referenceSpec), none),
});
const params: PlainCheck = (v) => (Array.isArray(v) ? list(scalar)(v) : record(scalar)(v));
const querySpec = object({ name: required(name), sql: required(name), params: orElse(params, none), description: optional(text) });
const retireSpec = object({
  tables: orElse(list(name), none),
  columns: orElse(record(list(name)), empty),
  indexes: orElse(list(name), none),
  views: orElse(list(name), none),
  criticalQueries: orElse(list(name), none),
});
const spec = object({
  $schema: optional(text),
  $comment: optional(text),
  milestone: required(plain.where(plain.integer, (v: number) => v > 0)),
  title: optional(text),
  description: optional(text),
  tables: orElse(record(tableSpec), empty),
  views: orElse(list(name), none),
  criticalQueries: orElse(list(querySpec), none),
  retires: optional(retireSpec),
});

/**
 * A milestone spec as the schema would output it, when it is plainly valid; undefined to let
 * zod decide.
 *
 * @example
 * plainMilestoneSpec({ milestone: 1, tables: { kb_entries: { columns: ['id'] } } })?.views; // []
 */
export function plainMilestoneSpec(value: unknown): MilestoneSpec | undefined {
  const out = spec(value);
  return out === PLAIN_FAIL ? undefined : (out as MilestoneSpec);
}
