import type { DataTransformationInput } from '@mfmig/transformer';
import type { MigrationContext, MigrationMeta } from '@mfmig/core';

export const meta: MigrationMeta = {
  description: 'Initialise code references from KB text (programs, jobs, datasets, DB2 tables, transactions, error codes) and link KB entries to the programs and JCL they mention',
};

type Row = Record<string, unknown>;
/** A kind of reference: its pattern (group 1 is the name), an optional word the text must hold for it to be tried, and a check of the text before the match. */
type Reference = { type: string; pattern: RegExp; needs?: string; before?: (text: string, index: number) => boolean };

const NAME_START = /[\w.]/;
/** The match does not continue a longer word or dotted name (a lookbehind, done by hand: it is much cheaper). */
const standsAlone = (text: string, index: number) => index === 0 || !NAME_START.test(text[index - 1]!);
/** `X abends` is a program, unless X is the job or batch the sentence is about. */
const notJobOrBatch = (text: string, index: number) => !/\b(?:of|[Jj]ob|[Bb]atch)\s$/.test(text.slice(Math.max(0, index - 6), index));

/** What a mainframe KB text names, by the words around it. Names are upper case, as on z/OS. */
const REFERENCES: Reference[] = [
  { type: 'program', pattern: /(?:\b[Pp]rogram\s+|\bPROGRAM\(|\bBMP\s+|\bin\s+|\bfrom\s+|\bCOBOL\s+)([A-Z][A-Z0-9#@$]{4,7})\b(?![.(])/g },
  { type: 'program', pattern: /\b([A-Z][A-Z0-9#@$]{4,7})\s+abends\b/g, needs: 'abends', before: notJobOrBatch },
  { type: 'job', pattern: /\b(?:[Jj]ob|[Bb]atch|[Rr]eport|of)\s+([A-Z][A-Z0-9#@$]{3,7})\b(?![.(])/g },
  { type: 'dataset', pattern: /([A-Z#@$][A-Z0-9#@$]{0,7}(?:\.[A-Z#@$][A-Z0-9#@$]{0,7}){2,21})(?![\w.])/g, needs: '.', before: standsAlone },
  { type: 'db2_table', pattern: /([A-Z][A-Z0-9]{1,7}\.[A-Z][A-Z0-9_]{1,17})(?![\w.])/g, needs: '.', before: standsAlone },
  { type: 'transaction', pattern: /\b(?:[Tt]ransaction|in)\s+([A-Z][A-Z0-9]{3})\b(?![.(])/g },
  { type: 'error_code', pattern: /\b(S[0-9A-F]{3}|SB37|U\d{4}|[A-Z]{3}\d{3,4}[A-Z]|SQLCODE -?\d+|ASRA|AEI0|PGMIDERR)\b/g },
];

const FIELDS = ['title', 'problem', 'solution'] as const;
const NOT_NAMES = new Set(['CHECK', 'FILE', 'STATUS', 'ABEND', 'ERROR', 'SPACE', 'LARGE', 'REPRO', 'LISTCAT', 'IDCAMS', 'DEFINE', 'CLUSTER', 'BIND', 'READ', 'OPEN', 'LINK', 'COMMIT', 'CEDA', 'CEDF', 'PERMIT', 'ACCESS', 'STEP', 'COBOL', 'SQLCODE', 'VSAM', 'CICS', 'RACF', 'DB2']);
const ERROR_CODE = /^(S[0-9A-F]{3}|SB37|U\d{4}|[A-Z]{3}\d{3,4}[A-Z])$/;
const STEP_NAME = /^STEP\d+$/;

/** One KB entry in, every distinct code reference its text makes out (split). */
export function extractCodeReferences(entry: Row): Row[] {
  const seen = new Set<string>();
  const out: Row[] = [];
  for (const field of FIELDS) {
    const text = String(entry[field] ?? '');
    for (const { type, pattern, needs, before } of REFERENCES) {
      if (needs !== undefined && !text.includes(needs)) continue;
      pattern.lastIndex = 0;
      for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
        const name = match[1]!;
        if (before && !before(text, match.index)) continue;
        if (NOT_NAMES.has(name) || STEP_NAME.test(name)) continue;
        if ((type === 'program' || type === 'job') && (name.length > 8 || ERROR_CODE.test(name))) continue;
        const key = `${type}\u0000${name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ kb_entry_id: entry.id, reference_type: type, reference_name: name, source_field: field, origin: 'kb_text' });
      }
    }
  }
  return out;
}

export const transformations: DataTransformationInput[] = [
  {
    id: 'extract_kb_code_references',
    name: 'Extract code references from KB text',
    description: 'Scan title, problem and solution of every KB entry for program, job, dataset, DB2 table, transaction and error-code names',
    sourceTable: 'kb_entries',
    targetTable: 'kb_code_references',
    transformationType: 'split',
    columns: ['id', 'title', 'problem', 'solution'],
    transform: extractCodeReferences,
    reversible: true,
    reverse: `DELETE FROM kb_code_references WHERE origin = 'kb_text'`,
    estimatedRows: 4000,
    estimatedDuration: 60,
    dependencies: [],
    validationQueries: [
      {
        sql: `SELECT COUNT(*) FROM kb_code_references r LEFT JOIN kb_entries e ON e.id = r.kb_entry_id WHERE e.id IS NULL`,
        expect: 'zero',
        message: 'every reference belongs to an existing KB entry',
      },
    ],
  },
  {
    id: 'register_referenced_programs',
    name: 'Register programs named in the KB',
    description: 'Add each program the KB mentions to code_programs once (existing programs are kept)',
    sourceTable: 'kb_code_references',
    targetTable: 'code_programs',
    transformationType: 'merge',
    sql: `INSERT INTO code_programs (name, language, origin, created_at)
          SELECT reference_name, 'COBOL', 'kb_reference', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
          FROM kb_code_references
          WHERE reference_type = 'program'
          GROUP BY reference_name
          ON CONFLICT (name) DO NOTHING`,
    reversible: true,
    reverse: `DELETE FROM code_programs WHERE origin = 'kb_reference'`,
    dependencies: ['extract_kb_code_references'],
    validationQueries: [
      {
        sql: `SELECT COUNT(DISTINCT reference_name) FROM kb_code_references r WHERE reference_type = 'program' AND NOT EXISTS (SELECT 1 FROM code_programs p WHERE p.name = r.reference_name)`,
        expect: 'zero',
      },
    ],
  },
  {
    id: 'register_referenced_jobs',
    name: 'Register JCL jobs named in the KB',
    description: 'Add each job the KB mentions to jcl_members once (existing members are kept)',
    sourceTable: 'kb_code_references',
    targetTable: 'jcl_members',
    transformationType: 'merge',
    sql: `INSERT INTO jcl_members (name, origin, created_at)
          SELECT reference_name, 'kb_reference', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
          FROM kb_code_references
          WHERE reference_type = 'job'
          GROUP BY reference_name
          ON CONFLICT (name) DO NOTHING`,
    reversible: true,
    reverse: `DELETE FROM jcl_members WHERE origin = 'kb_reference'`,
    dependencies: ['extract_kb_code_references'],
    validationQueries: [],
  },
  {
    id: 'link_kb_to_code',
    name: 'Link KB entries to the programs and jobs they mention',
    description: 'One kb_code_links row per KB entry and program or job it names',
    sourceTable: 'kb_code_references',
    targetTable: 'kb_code_links',
    transformationType: 'convert',
    sql: `INSERT INTO kb_code_links (kb_entry_id, program_id, jcl_member_id, link_type, confidence, origin, created_at)
          SELECT r.kb_entry_id, p.id, j.id, 'mentions', CASE r.source_field WHEN 'title' THEN 0.9 ELSE 0.7 END, 'kb_text', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
          FROM kb_code_references r
          LEFT JOIN code_programs p ON r.reference_type = 'program' AND p.name = r.reference_name
          LEFT JOIN jcl_members j ON r.reference_type = 'job' AND j.name = r.reference_name
          WHERE r.reference_type IN ('program', 'job') AND (p.id IS NOT NULL OR j.id IS NOT NULL)`,
    reversible: true,
    reverse: `DELETE FROM kb_code_links WHERE origin = 'kb_text'`,
    dependencies: ['register_referenced_programs', 'register_referenced_jobs'],
    validationQueries: [
      {
        sql: `SELECT COUNT(*) FROM kb_code_links WHERE origin = 'kb_text'`,
        expect: { query: `SELECT COUNT(*) FROM kb_code_references WHERE reference_type IN ('program', 'job')` },
        message: 'one link per program or job reference',
      },
    ],
  },
];

/** Tables come from 0006 and 0007; the rows are made by the transformations above. */
export async function up(_db: unknown, _ctx: MigrationContext): Promise<void> {}

/** The declared reverses remove what the transformations made, links first. */
export async function down(_db: unknown, _ctx: MigrationContext): Promise<void> {}
