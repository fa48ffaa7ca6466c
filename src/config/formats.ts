// The ring config formats loadRingSpec reads (the values of --ring-format).
export type RingFormat = 'carbon' | 'graphite-web' | 'carbon-c-relay' | 'carbonate' | 'cluster' | 'bucky' | 'carbon-relay-ng';
export const RING_FORMATS: readonly RingFormat[] = [
  'carbon',
  'graphite-web',
  'carbon-c-relay',
  'carbonate',
  'cluster',
  'bucky',
  'carbon-relay-ng',
];
