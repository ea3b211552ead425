import type { TableInfo } from '@mfmig/core';

/**
 * Archives ordered so that one whose table references another's table comes after it (a cycle
 * keeps the given order): the order their rows can go back in without breaking a foreign key.
 *
 * @example
 * parentsFirst([{ table: kbTags }, { table: kbEntries }]).map((a) => a.table.name); // ['kb_entries', 'kb_tags']
 */
export function parentsFirst<T extends { table: TableInfo }>(found: readonly T[]): T[] {
  const ordered: T[] = [];
  const placed = new Set<T>();
  const visiting = new Set<T>();
  const parentsOf = (item: T) =>
    found.filter((other) => other !== item && item.table.foreignKeys.some((fk) => fk.referencedTable.toLowerCase() === other.table.name.toLowerCase()));
  const place = (item: T) => {
    if (placed.has(item) || visiting.has(item)) return;
    visiting.add(item);
    for (const parent of parentsOf(item)) place(parent);
    visiting.delete(item);
    placed.add(item);
    ordered.push(item);
  };
  for (const item of found) place(item);
  return ordered;
}
