export * from './format-count.js';
