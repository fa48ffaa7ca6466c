// Public surface of the storage layer: name ↔ path mapping, drivers, locations and the scanner.
export { metricToPath, pathToMetric, TAGGED_DIR, WSP } from './paths.js';
export type { EntryKind, MetricToPathOptions, PathMapping } from './paths.js';
export { checkRelPath } from './driver.js';
export type { FileInfo, FreeSpace, ListOptions, ListProgress, StorageDriver, WalkEntry, WriteOptions } from './driver.js';
export { LocalDriver } from './local-driver.js';
export { defaultWalkers, walkersFor, walkTree } from './walker.js';
export { checkStorageKeys, locationOf, openDriver, pathLocation, resolveLocations, sameLocation, selectLocations, storageKeysFor } from './locations.js';
export type { ResolvedStorage, StorageKey, StorageLocation, StorageProblem } from './locations.js';
export { ScanMapper, scanDriver, scanLocation, scanLocationBatches, toScanEntry } from './scan.js';
export type { ScanEntry, ScanOptions } from './scan.js';
export { isTaggedName, storedName, taggedHash } from './tagged.js';
