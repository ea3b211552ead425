export * from './folder-trust.js';
export * from './scratch-directory.js';
export * from './user-cache-directory.js';
export * from './durable-fs.js';
export * from './file-hash.js';
export * from './real-file-path.js';
export * from './regular-file.js';
