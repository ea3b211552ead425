/** Problem/solution templates per category, with the error codes mainframe teams really see. */
export interface KbTemplate {
  title: string;
  problem: string;
  solution: string;
  tags: string[];
}

export const KB_TEMPLATES: Record<string, KbTemplate[]> = {
  JCL: [
    {
      title: 'JCL error IEF212I dataset not found in step {step}',
      problem: 'Job {job} fails with IEF212I: DATA SET {dsn} NOT FOUND in step {step}.',
      solution: 'Check the DSN spelling and catalog with LISTCAT ENT({dsn}); create it in a prior step or fix DISP=(NEW,CATLG).',
      tags: ['jcl', 'ief212i', 'dataset'],
    },
    {
      title: 'S222 abend: job {job} cancelled by operator',
      problem: 'Job {job} ends with S222 after waiting on a tape mount for {n} minutes.',
      solution: 'Check the TIME parameter and resource waits; resubmit with the volume available or raise TIME on the EXEC statement.',
      tags: ['jcl', 's222', 'abend'],
    },
    {
      title: 'JCL error IEF450I {job} ABEND=S013',
      problem: 'Step {step} of {job} abends S013-18: member not found in PDS {dsn}.',
      solution: 'Verify the member name in DSN={dsn}(MEMBER); check DCB attributes match the PDS (RECFM, LRECL).',
      tags: ['jcl', 's013', 'pds'],
    },
  ],
  VSAM: [
    {
      title: 'VSAM status 35 opening {dsn}',
      problem: 'Program {prog} gets file status 35 (file not found) opening VSAM cluster {dsn}.',
      solution: 'Define the cluster with IDCAMS DEFINE CLUSTER or correct the DD name; status 35 means the OPEN found no dataset.',
      tags: ['vsam', 'status-35', 'idcams'],
    },
    {
      title: 'VSAM status 23 record not found in {dsn}',
      problem: 'READ by key {n} on KSDS {dsn} returns status 23 in {prog}.',
      solution: 'Check the key length and offset; REPRO the cluster to verify the key exists; handle INVALID KEY.',
      tags: ['vsam', 'status-23', 'ksds'],
    },
    {
      title: 'VSAM CI/CA splits slow down {dsn}',
      problem: 'Batch {job} runtime grew {n}% because of CI and CA splits on {dsn}.',
      solution: 'Reorganise with REPRO out/in, raise FREESPACE(20 10), schedule regular reorgs.',
      tags: ['vsam', 'performance', 'freespace'],
    },
  ],
  DB2: [
    {
      title: 'SQLCODE -805 package not found for {prog}',
      problem: 'Program {prog} fails with SQLCODE -805: DBRM or package not found in plan {plan}.',
      solution: 'BIND the package into collection of plan {plan}; check the consistency token matches the load module.',
      tags: ['db2', 'sqlcode-805', 'bind'],
    },
    {
      title: 'SQLCODE -911 deadlock or timeout in {prog}',
      problem: 'Program {prog} gets SQLCODE -911 (reason 00C90088) updating table {table}.',
      solution: 'Commit more often, access tables in the same order, and check lock escalation on {table}.',
      tags: ['db2', 'sqlcode-911', 'deadlock'],
    },
    {
      title: 'SQLCODE -204 {table} is an undefined name',
      problem: 'Dynamic SQL in {prog} fails with -204 for {table}.',
      solution: 'Qualify the table with its schema or set CURRENT SCHEMA; verify the table exists in the catalog.',
      tags: ['db2', 'sqlcode-204'],
    },
  ],
  CICS: [
    {
      title: 'CICS ASRA abend in transaction {tran}',
      problem: 'Transaction {tran} abends ASRA (program check) in program {prog} at offset {n}.',
      solution: 'Use CEDF or the transaction dump to find the failing instruction; usually a data exception (S0C7) on uninitialised COMP-3.',
      tags: ['cics', 'asra', 'abend'],
    },
    {
      title: 'CICS AEI0 PGMIDERR linking to {prog}',
      problem: 'EXEC CICS LINK PROGRAM({prog}) raises PGMIDERR in {tran}.',
      solution: 'Define the program in the CSD (CEDA DEFINE PROGRAM) and install it; check the load library in DFHRPL.',
      tags: ['cics', 'pgmiderr', 'aei0'],
    },
  ],
  IMS: [
    {
      title: 'IMS U0778 abend in {prog}',
      problem: 'BMP {prog} ends with U0778 after ROLB in PSB {plan}.',
      solution: 'U0778 follows a ROLB without a checkpoint; add XRST/CHKP logic and check the PCB status code before ROLB.',
      tags: ['ims', 'u0778', 'bmp'],
    },
    {
      title: 'IMS status code GE on segment search in {prog}',
      problem: 'GU call in {prog} returns status GE for key {n}.',
      solution: 'GE means segment not found: check the SSA qualification and the key field length in the DBD.',
      tags: ['ims', 'status-ge', 'dli'],
    },
  ],
  Batch: [
    {
      title: 'S0C7 data exception in batch {job}',
      problem: 'Step {step} of {job} abends S0C7 in {prog} processing record {n}.',
      solution: 'Find the non-numeric field from the dump offset; validate input with NUMERIC tests before arithmetic.',
      tags: ['batch', 's0c7', 'abend'],
    },
    {
      title: 'B37 out of space writing {dsn}',
      problem: 'Job {job} abends SB37-04 writing {dsn}: no secondary extents left.',
      solution: 'Raise SPACE=(CYL,(p,s)) or use a larger volume; consider DSNTYPE=LARGE or EXTENDED.',
      tags: ['batch', 'sb37', 'space'],
    },
  ],
  COBOL: [
    {
      title: 'S0C4 protection exception in COBOL {prog}',
      problem: '{prog} abends S0C4 at offset {n} when a table subscript runs out of range.',
      solution: 'Compile with SSRANGE to trap the subscript; check OCCURS DEPENDING ON limits.',
      tags: ['cobol', 's0c4', 'ssrange'],
    },
    {
      title: 'IGZ0035S unable to open file in {prog}',
      problem: 'LE message IGZ0035S: there was an unsuccessful OPEN of file {dsn} in {prog}.',
      solution: 'Check the DD statement for the SELECT ASSIGN name; status 35 or 37 tells which.',
      tags: ['cobol', 'igz0035s', 'file'],
    },
  ],
  Functional: [
    {
      title: 'Month-end report {job} shows duplicate totals',
      problem: 'Report {job} double counts records when the period spans two files.',
      solution: 'Sort and deduplicate on the business key before totalling; add a control-total check.',
      tags: ['functional', 'report'],
    },
  ],
  Other: [
    {
      title: 'RACF ICH408I access denied to {dsn}',
      problem: 'User gets ICH408I INSUFFICIENT ACCESS AUTHORITY to {dsn} from {prog}.',
      solution: 'Ask security to PERMIT the profile with the needed ACCESS; check the generic profile that covers {dsn}.',
      tags: ['racf', 'ich408i', 'security'],
    },
  ],
};

export const KB_CATEGORIES = Object.keys(KB_TEMPLATES);
export const KB_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
