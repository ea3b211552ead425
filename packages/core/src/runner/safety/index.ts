export * from './cascade-guard.js';
export * from './foreign-key-facts.js';
export * from './migration-safety.js';
export * from './step-checks.js';
