export * from './config.js';
export * from './plain-shape.js';
