import type { DataTransformationInput } from '@mfmig/transformer';
import type { MigrationContext, MigrationMeta } from '@mfmig/core';
// the row function is dialect-free: the one of the SQLite file, so both dialects extract the same references
import { extractCodeReferences } from './0008_init_code_references.js';

export const meta: MigrationMeta = {
  description: 'Initialise code references from KB text (programs, jobs, datasets, DB2 tables, transactions, error codes) and link KB entries to the programs and JCL they mention',
};

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
          SELECT reference_name, 'COBOL', 'kb_reference', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
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
          SELECT reference_name, 'kb_reference', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
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
          SELECT r.kb_entry_id, p.id, j.id, 'mentions', CASE r.source_field WHEN 'title' THEN 0.9 ELSE 0.7 END, 'kb_text', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
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
