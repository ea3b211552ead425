export * from './mfmig-error.js';
export * from './sqlite-errors.js';
