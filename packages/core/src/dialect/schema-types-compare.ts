import type { CompositeTypeInfo, DomainInfo, EnumTypeInfo, SchemaObjects, SequenceInfo } from './dialect.js';
import { checkVerdict } from './check-verdict.js';
import { compareByKey } from './compare-by-key.js';
import { type SchemaChange, type Verdict, breaking, compatible } from './schema-compare.js';
import { isPgTypeWidening } from './postgres/postgres-type-widening.js';

/** A type of the schema, whichever kind: enum, domain or composite. */
type TypeEntry =
  | { name: string; kind: 'enum'; enum: EnumTypeInfo }
  | { name: string; kind: 'domain'; domain: DomainInfo }
  | { name: string; kind: 'composite'; composite: CompositeTypeInfo };

function typeEntries(objects: SchemaObjects): TypeEntry[] {
  return [
    ...objects.enumTypes.map((e): TypeEntry => ({ name: e.name, kind: 'enum', enum: e })),
    ...objects.domains.map((d): TypeEntry => ({ name: d.name, kind: 'domain', domain: d })),
    ...objects.compositeTypes.map((c): TypeEntry => ({ name: c.name, kind: 'composite', composite: c })),
  ];
}

function enumVerdict(a: EnumTypeInfo, b: EnumTypeInfo): Verdict {
  const missing = a.labels.filter((l) => !b.labels.includes(l));
  if (missing.length > 0) return breaking(`label(s) ${missing.join(', ')} removed: rows and writes that use them fail`);
  return compatible('labels added');
}

function domainVerdict(a: DomainInfo, b: DomainInfo): Verdict {
  if (a.baseType !== b.baseType && !isPgTypeWidening(a.baseType, b.baseType)) return breaking(`base type narrowed (${a.baseType} -> ${b.baseType})`);
  if (!a.notNull && b.notNull) return breaking('domain became NOT NULL: writes of NULL to its columns fail');
  const added = b.checks.filter((c) => !a.checks.includes(c));
  const removed = a.checks.filter((c) => !b.checks.includes(c));
  // one CHECK replaced by another is judged as a table's is: a widened IN list is compatible
  if (added.length === 1 && removed.length === 1) {
    const verdict = checkVerdict(removed[0]!, added[0]!);
    if (verdict.compatibility === 'breaking') return verdict;
  } else if (added.length > 0) return breaking('new CHECK on the domain: writes the old schema accepted can fail');
  return compatible('domain relaxed, widened or given another default');
}

function compositeVerdict(a: CompositeTypeInfo, b: CompositeTypeInfo): Verdict {
  const after = new Map(b.attributes.map((x) => [x.name, x.type]));
  const lost = a.attributes.filter((x) => !after.has(x.name));
  if (lost.length > 0) return breaking(`attribute(s) ${lost.map((x) => x.name).join(', ')} dropped: code that reads them fails`);
  const retyped = a.attributes.filter((x) => after.get(x.name) !== x.type);
  if (retyped.length > 0) return breaking(`attribute(s) ${retyped.map((x) => x.name).join(', ')} changed type`);
  return compatible('attributes added');
}

const describeDomain = (d: DomainInfo) =>
  [d.baseType, d.notNull ? 'NOT NULL' : '', d.defaultSql === null ? '' : `DEFAULT ${d.defaultSql}`, ...d.checks].filter(Boolean).join(' ');
const describeComposite = (c: CompositeTypeInfo) => `(${c.attributes.map((x) => `${x.name} ${x.type}`).join(', ')})`;

function typeDetail(a: TypeEntry, b: TypeEntry): string {
  if (a.kind !== b.kind) return ` (${a.kind} -> ${b.kind})`;
  if (a.kind === 'enum' && b.kind === 'enum') return ` (labels ${a.enum.labels.join(', ')} -> ${b.enum.labels.join(', ')})`;
  if (a.kind === 'domain' && b.kind === 'domain') return ` (domain ${describeDomain(a.domain)} -> ${describeDomain(b.domain)})`;
  if (a.kind === 'composite' && b.kind === 'composite') return ` (${describeComposite(a.composite)} -> ${describeComposite(b.composite)})`;
  return '';
}

/**
 * The schema's types on both sides, by name, whatever their kind: enum types (a dropped label
 * breaks), domains (a narrowed base type, NOT NULL or a new CHECK breaks; a widened `IN` list does
 * not, as for a table's CHECK) and composite types (a dropped or retyped
 * attribute breaks). A type that changes kind, or is dropped, breaks.
 *
 * @example
 * compareTypes(before, after, changes);
 */
export function compareTypes(from: SchemaObjects, to: SchemaObjects, changes: SchemaChange[]): void {
  compareByKey(changes, 'type', typeEntries(from), typeEntries(to), {
    key: (t) => t.name,
    label: (t) => t.name,
    same: (a, b) => JSON.stringify(a) === JSON.stringify(b),
    added: compatible('new type'),
    removed: breaking('dropped type: columns and casts that use it fail'),
    changed: (a, b) => {
      if (a.kind === 'enum' && b.kind === 'enum') return enumVerdict(a.enum, b.enum);
      if (a.kind === 'domain' && b.kind === 'domain') return domainVerdict(a.domain, b.domain);
      if (a.kind === 'composite' && b.kind === 'composite') return compositeVerdict(a.composite, b.composite);
      return breaking(`${a.kind} became a ${b.kind}: columns and casts written for it fail`);
    },
    detail: typeDetail,
  });
}

/** The settings of a sequence that differ, in words: `max 2147483647 -> 1000, cycle no -> yes`. */
function sequenceDetail(a: SequenceInfo, b: SequenceInfo): string {
  const shown = (s: SequenceInfo) => ({
    type: s.dataType,
    start: s.start,
    increment: s.increment,
    min: s.min,
    max: s.max,
    cache: s.cache,
    cycle: s.cycle ? 'yes' : 'no',
    'owned by': s.ownedBy ? `${s.ownedBy.table}.${s.ownedBy.column}` : 'none',
  });
  const [x, y] = [shown(a), shown(b)];
  const differ = (Object.keys(x) as (keyof typeof x)[]).filter((k) => x[k] !== y[k]);
  return ` (${differ.map((k) => `${k} ${x[k]} -> ${y[k]}`).join(', ')})`;
}

function sequenceVerdict(a: SequenceInfo, b: SequenceInfo): Verdict {
  if (!a.cycle && b.cycle) return breaking('the sequence now cycles: it can hand out values it gave before');
  if (BigInt(b.max) < BigInt(a.max) || BigInt(b.min) > BigInt(a.min)) return breaking('the sequence runs out sooner: nextval fails at its new bound');
  if (Math.sign(Number(a.increment)) !== Math.sign(Number(b.increment))) return breaking('the sequence now counts the other way');
  return compatible('sequence settings changed');
}

/**
 * Sequences on both sides, by name, their settings and never their current value. A sequence that
 * a column owns comes and goes with that column (its table's change says so); one of its own that
 * is dropped breaks the `nextval` calls made on it, as a new bound nearer its start or a switch to
 * CYCLE does.
 *
 * @example
 * compareSequences(before, after, changes);
 */
export function compareSequences(from: SchemaObjects, to: SchemaObjects, changes: SchemaChange[]): void {
  const columnsOf = (o: SchemaObjects) => new Set(o.tables.flatMap((t) => t.columns.map((c) => `${t.name}\u0000${c.name}`)));
  const [before, after] = [columnsOf(from), columnsOf(to)];
  // an owned sequence is compared only while its column is on both sides
  const kept = (s: SequenceInfo) =>
    s.ownedBy === null || (before.has(`${s.ownedBy.table}\u0000${s.ownedBy.column}`) && after.has(`${s.ownedBy.table}\u0000${s.ownedBy.column}`));
  compareByKey(changes, 'sequence', from.sequences.filter(kept), to.sequences.filter(kept), {
    key: (s) => s.name,
    label: (s) => s.name,
    same: (a, b) => JSON.stringify(a) === JSON.stringify(b),
    added: compatible('new sequence'),
    removed: breaking('dropped sequence: nextval on it fails'),
    changed: sequenceVerdict,
    detail: sequenceDetail,
  });
}
