export * from './service-context.js';
export * from './context-runner.js';
export * from './plugin-participant.js';
