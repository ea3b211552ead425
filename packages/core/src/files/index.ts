export * from './folder-trust.js';
export * from './scratch-directory.js';
export * from './user-cache-directory.js';
