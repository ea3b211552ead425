// kysely for the command's bundle, built into its own file (see tsup.config.ts) and required on
// first use: a run of SQL migrations only never reads it.
export * from 'kysely';
