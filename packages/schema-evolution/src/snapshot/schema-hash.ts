import { createHash } from 'node:crypto';
import { shortHash } from './object-definition.js';

const WORDS_CACHE_LIMIT = 20_000;
// a full read of the catalog toggles every object again: each object's sha256 is taken once
const wordsCache = new Map<string, Uint32Array>();

function objectWords(entry: string): Uint32Array {
  let words = wordsCache.get(entry);
  if (!words) {
    const digest = createHash('sha256').update(entry).digest();
    words = new Uint32Array(8);
    for (let i = 0; i < 8; i++) words[i] = digest.readUInt32LE(i * 4);
    if (wordsCache.size >= WORDS_CACHE_LIMIT) wordsCache.clear();
    wordsCache.set(entry, words);
  }
  return words;
}

/**
 * An order-independent hash of a set of objects: the XOR of sha256(key, object hash) over the
 * set. Adding or removing one object costs one sha256, whatever the size of the schema, which
 * keeps the per-migration cost of the schema history flat.
 *
 * @example
 * const acc = new SchemaHashAccumulator();
 * acc.toggle('table:t', 'a1b2c3d4e5f60708');
 * acc.digest(); // 16 hex digits
 */
export class SchemaHashAccumulator {
  readonly #words = new Uint32Array(8);

  /** Adds an object, or removes it when it is already in the set. */
  toggle(key: string, objectHash: string): void {
    const words = objectWords(`${key}\u0000${objectHash}`);
    for (let i = 0; i < 8; i++) this.#words[i]! ^= words[i]!;
  }

  digest(): string {
    return shortHash(`mfmig-schema/1:${Buffer.from(this.#words.buffer).toString('hex')}`);
  }

  clone(): SchemaHashAccumulator {
    const copy = new SchemaHashAccumulator();
    copy.#words.set(this.#words);
    return copy;
  }
}

/**
 * The schema hash of a set of objects given as `[key, object hash]` pairs.
 *
 * @example
 * schemaHashOf([]) === schemaHashOf([]); // true: the empty schema has one hash
 */
export function schemaHashOf(entries: Iterable<readonly [string, string]>): string {
  const acc = new SchemaHashAccumulator();
  for (const [key, hash] of entries) acc.toggle(key, hash);
  return acc.digest();
}
