export * from './holder-verdict.js';
export * from './process-identity.js';
export * from './run-lock.js';
