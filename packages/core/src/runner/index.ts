export * from './migration-context.js';
export * from './migration-plugin.js';
export * from './migration-status.js';
export * from './migration-target.js';
export * from './migrator.js';
export * from './progress-tracker.js';
export * from './safety/index.js';
export * from './apply-connection-settings.js';
