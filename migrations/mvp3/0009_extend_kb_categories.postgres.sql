-- description: Let KB entries be filed under the code-analysis languages (PL/I, Assembler, REXX): swaps the category CHECK of kb_entries in place
-- migrate:up
-- PostgreSQL changes a CHECK constraint in place (no table rebuild as on SQLite): the rows keep
-- their ids and every child row, index and view stays as it is. The new list only adds values,
-- so the existing rows pass it.
ALTER TABLE kb_entries
  DROP CONSTRAINT kb_entries_category_check,
  ADD CONSTRAINT kb_entries_category_check CHECK (category IN ('JCL', 'VSAM', 'DB2', 'CICS', 'IMS', 'Batch', 'COBOL', 'PL/I', 'Assembler', 'REXX', 'Functional', 'Other'));

-- migrate:down
-- Back to the MVP1 category list. Entries filed under a language this migration added are
-- kept, under 'Other' (the MVP1 schema has no place for them).
UPDATE kb_entries SET category = 'Other' WHERE category IN ('PL/I', 'Assembler', 'REXX');

ALTER TABLE kb_entries
  DROP CONSTRAINT kb_entries_category_check,
  ADD CONSTRAINT kb_entries_category_check CHECK (category IN ('JCL', 'VSAM', 'DB2', 'CICS', 'IMS', 'Batch', 'COBOL', 'Functional', 'Other'));
