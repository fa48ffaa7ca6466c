// The phase names of the runbook, in order: the contract (`apply --phase NAME`), shared by the plan
// writer, the read-impact model and the apply phase runner without importing the runbook record.
export const PHASES = ['pre-copy', 'switch', 'backfill', 'verify', 'cleanup'] as const;
export type PhaseName = (typeof PHASES)[number];
