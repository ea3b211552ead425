export { type RebuildPattern, findRebuild, indexedTable } from './rebuild-pattern.js';
export {
  ONLINE_SWAPS,
  type OnlineRebuildOptions,
  abandon as abandonOnlineRebuild,
  mayRebuildOnline,
  onlineRebuildOf,
  onlineRebuildOn,
  runOnlineCopy,
} from './online-rebuild.js';
export { ONLINE_TABLE, type OnlineState, onlineStates } from './online-state.js';
export { DEFAULT_ONLINE_REBUILD } from './online-ahead.js';
