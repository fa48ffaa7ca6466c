// The words for "who still writes this live file", shared by the audit report and the plan's skip records.

/** Which known rings send to a live file, in words. */
export function describeSenders(sentBy: readonly Record<string, unknown>[] | undefined): string {
  if (sentBy === undefined || sentBy.length === 0)
    return 'no known ring sends here (another relay, a config that disagrees, or a sender writing to this cache directly; give its config with --ring)';
  const parts = sentBy.map((s) => {
    if (s.ring === 'old-ring') return 'the old ring sends here (a relay not switched yet)';
    if (s.ring === 'raw-name') {
      const raw = ((s.raw as string[] | undefined) ?? []).map((r) => JSON.stringify(r)).join(', ');
      return s.confidence === 'confirmed'
        ? `the relay hashes the raw name ${raw} here (confirmed by --names)`
        : `a raw-name variant ${raw} would hash here (a guess)`;
    }
    return `${String(s.ring)} sends here`;
  });
  return parts.join('; ');
}
