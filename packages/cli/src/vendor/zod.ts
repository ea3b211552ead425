// zod for the command's bundle, built into its own file (see tsup.config.ts) and required on
// first use: a run that validates nothing never reads it.
export * from 'zod';
