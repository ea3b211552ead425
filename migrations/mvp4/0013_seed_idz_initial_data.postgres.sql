-- description: Initial IDZ data: built-in COBOL, CICS, JCL, copybook, DB2 bind and REXX templates, the KB maintenance project holding every program and job the KB names, and its shared workspace
-- migrate:up
-- PostgreSQL variant: the same statements as the SQLite file (they are standard SQL). No row
-- is given an explicit id, so the identity sequences stay ahead of max(id) without setval.
INSERT INTO idz_templates (name, version, template_type, language, description, content, is_builtin, created_at) VALUES
  ('COBOL batch program', 1, 'cobol_program', 'COBOL', 'Batch program skeleton with file status checks and a return code',
   '       IDENTIFICATION DIVISION.
       PROGRAM-ID. ${PROGRAM}.
       ENVIRONMENT DIVISION.
       INPUT-OUTPUT SECTION.
       FILE-CONTROL.
           SELECT IN-FILE ASSIGN TO ${INDD} FILE STATUS IS WS-FS.
       DATA DIVISION.
       WORKING-STORAGE SECTION.
       01  WS-FS                PIC XX.
       PROCEDURE DIVISION.
           OPEN INPUT IN-FILE
           IF WS-FS NOT = ''00''
              DISPLAY ''OPEN FAILED '' WS-FS
              MOVE 16 TO RETURN-CODE
           END-IF
           GOBACK.', 1, '2024-01-01T00:00:00.000Z'),
  ('CICS program', 1, 'cics_program', 'COBOL', 'Pseudo-conversational CICS program with RESP checking',
   '       IDENTIFICATION DIVISION.
       PROGRAM-ID. ${PROGRAM}.
       DATA DIVISION.
       WORKING-STORAGE SECTION.
       01  WS-RESP              PIC S9(8) COMP.
       PROCEDURE DIVISION.
           EXEC CICS RETURN TRANSID(''${TRANSID}'') RESP(WS-RESP) END-EXEC
           GOBACK.', 1, '2024-01-01T00:00:00.000Z'),
  ('Compile, link and go', 1, 'jcl_job', 'JCL', 'IGYWCLG job for one COBOL member',
   '//${JOBNAME} JOB (${ACCOUNT}),''COMPILE'',CLASS=A,MSGCLASS=X,NOTIFY=&SYSUID
//CLG      EXEC IGYWCLG,PARM.COBOL=''LIB,APOST''
//COBOL.SYSIN DD DSN=${HLQ}.COBOL(${PROGRAM}),DISP=SHR
//GO.SYSOUT  DD SYSOUT=*', 1, '2024-01-01T00:00:00.000Z'),
  ('Record copybook', 1, 'copybook', 'COBOL', 'Copybook for one fixed-length record layout',
   '       01  ${RECORD}.
           05  ${PREFIX}-KEY        PIC X(10).
           05  ${PREFIX}-DATA       PIC X(70).', 1, '2024-01-01T00:00:00.000Z'),
  ('DB2 package bind', 1, 'db2_bind', 'JCL', 'BIND PACKAGE for a DB2 program, the fix for SQLCODE -805',
   '//${JOBNAME} JOB (${ACCOUNT}),''BIND'',CLASS=A,MSGCLASS=X
//BIND     EXEC PGM=IKJEFT01
//SYSTSIN  DD *
  DSN SYSTEM(${SUBSYS})
  BIND PACKAGE(${COLLECTION}) MEMBER(${PROGRAM}) ACTION(REPLACE)
  END
/*', 1, '2024-01-01T00:00:00.000Z'),
  ('LISTCAT check', 1, 'rexx_exec', 'REXX', 'REXX exec that checks a dataset is catalogued (IEF212I triage)',
   '/* REXX */
ARG DSN
X = LISTDSI("''"DSN"''")
IF X <> 0 THEN SAY DSN "NOT CATALOGUED, SYSREASON" SYSREASON
EXIT X', 1, '2024-01-01T00:00:00.000Z');

INSERT INTO idz_template_parameters (template_id, name, description, default_value, required, position)
SELECT t.id, p.name, p.description, p.default_value, p.required, p.position
FROM idz_templates t
JOIN (
  SELECT 'COBOL batch program' AS template, 'PROGRAM' AS name, 'Program name (1-8 characters)' AS description, NULL AS default_value, 1 AS required, 1 AS position
  UNION ALL SELECT 'COBOL batch program', 'INDD', 'DD name of the input file', 'INFILE', 0, 2
  UNION ALL SELECT 'CICS program', 'PROGRAM', 'Program name', NULL, 1, 1
  UNION ALL SELECT 'CICS program', 'TRANSID', 'Transaction id (4 characters)', NULL, 1, 2
  UNION ALL SELECT 'Compile, link and go', 'JOBNAME', 'Job name', NULL, 1, 1
  UNION ALL SELECT 'Compile, link and go', 'ACCOUNT', 'Accounting information', 'ACCT', 0, 2
  UNION ALL SELECT 'Compile, link and go', 'HLQ', 'High-level qualifier of the source library', NULL, 1, 3
  UNION ALL SELECT 'Compile, link and go', 'PROGRAM', 'Member to compile', NULL, 1, 4
  UNION ALL SELECT 'Record copybook', 'RECORD', 'Record name', NULL, 1, 1
  UNION ALL SELECT 'Record copybook', 'PREFIX', 'Field prefix', NULL, 1, 2
  UNION ALL SELECT 'DB2 package bind', 'JOBNAME', 'Job name', NULL, 1, 1
  UNION ALL SELECT 'DB2 package bind', 'ACCOUNT', 'Accounting information', 'ACCT', 0, 2
  UNION ALL SELECT 'DB2 package bind', 'SUBSYS', 'DB2 subsystem id', 'DB2P', 0, 3
  UNION ALL SELECT 'DB2 package bind', 'COLLECTION', 'Package collection', NULL, 1, 4
  UNION ALL SELECT 'DB2 package bind', 'PROGRAM', 'DBRM member', NULL, 1, 5
  UNION ALL SELECT 'LISTCAT check', 'DSN', 'Dataset name to check', NULL, 1, 1
) p ON p.template = t.name
WHERE t.is_builtin = 1 AND t.version = 1;

INSERT INTO idz_projects (name, description, host_system, high_level_qualifier, status, owner, is_builtin, created_at, updated_at)
VALUES ('KB Maintenance', 'Every program and job the knowledge base names, for fixing the problems it describes', 'PROD', 'KBMAINT', 'active', 'system', 1,
        '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z');

INSERT INTO idz_project_members (project_id, program_id, added_at)
SELECT p.id, c.id, '2024-01-01T00:00:00.000Z'
FROM idz_projects p, code_programs c
WHERE p.name = 'KB Maintenance'
ORDER BY c.id;

INSERT INTO idz_project_members (project_id, jcl_member_id, added_at)
SELECT p.id, j.id, '2024-01-01T00:00:00.000Z'
FROM idz_projects p, jcl_members j
WHERE p.name = 'KB Maintenance'
ORDER BY j.id;

INSERT INTO idz_workspaces (project_id, name, owner, sandbox_hlq, status, created_at)
SELECT id, 'shared', 'system', 'KBMAINT.SANDBOX', 'active', '2024-01-01T00:00:00.000Z'
FROM idz_projects WHERE name = 'KB Maintenance';

-- migrate:down
DELETE FROM idz_projects WHERE is_builtin = 1 AND name = 'KB Maintenance';
DELETE FROM idz_templates WHERE is_builtin = 1 AND version = 1
  AND name IN ('COBOL batch program', 'CICS program', 'Compile, link and go', 'Record copybook', 'DB2 package bind', 'LISTCAT check');
