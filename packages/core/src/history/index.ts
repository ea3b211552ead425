export * from './history-store.js';
export * from './metrics-store.js';
export * from './metrics-estimate.js';
export * from './repeatable-store.js';
export * from './history-fingerprint.js';
