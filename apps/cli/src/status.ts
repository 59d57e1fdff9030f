// hls-chips status [RUN]: a run's progress from the run ledger. Read-only: the ledger's buckets are looked
// up, never created.
import { Bus } from '@hls/bus';
import { loadConfig } from '@hls/config';
import { RunLedger, runStatus, type RunStatus } from '@hls/ledger';
import { createLogger } from '@hls/telemetry';

/** The status lines of a run, as `status` prints them. */
export function statusLines(s: RunStatus): string[] {
  const lines = [
    `run ${s.runId}: ${s.terminal}/${s.expectedChips ?? '?'} chips terminal${s.complete ? ' (complete)' : ''}`,
    `  accepted ${s.counts.accepted}, rejected ${s.counts.rejected}, failed ${s.counts.failed}`,
    ...Object.entries(s.reasons)
      .sort()
      .map(([r, n]) => `  ${r}: ${n}`),
  ];
  if (Object.keys(s.tiles).length) lines.push(`  tiles: ${Object.entries(s.tiles).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const t of s.tileProblems) lines.push(`  tile ${t.tileId} ${t.state}: ${t.reason ?? 'unknown'}${t.detail ? ` (${t.detail})` : ''}`);
  if (s.failedRun) lines.push(`  run failed: ${s.failedRun}`);
  if (s.empty) lines.push(`  dataset: ${s.empty}`);
  return lines;
}

/** What a server without the ledger's buckets is, in one line. */
const noLedger = (url: string): string => `${url} holds no run ledger: no run has been submitted to it (nothing was created)`;

export async function printStatus(runId: string | undefined, o: { config?: string; json?: boolean }): Promise<void> {
  const config = loadConfig({ ...(o.config ? { file: o.config } : {}) });
  const bus = await Bus.connect({ nats: config.nats, name: 'hls-chips status', log: createLogger({ name: 'status', level: 'warn' }) });
  try {
    const ledger = await RunLedger.lookup(bus);
    if (!runId) {
      const runs = ledger ? await ledger.runIds() : [];
      if (o.json) console.log(JSON.stringify(runs));
      else console.log(runs.length ? runs.join('\n') : ledger ? 'no runs' : `no runs: ${noLedger(config.nats.url)}`);
      return;
    }
    if (!ledger) throw new Error(`status ${runId}: ${noLedger(config.nats.url)}`);
    if (!(await ledger.runSpec(runId))) throw new Error(`status ${runId}: no such run on ${config.nats.url}`);
    const s = await runStatus(ledger, runId);
    console.log(o.json ? JSON.stringify(s, null, 2) : statusLines(s).join('\n'));
  } finally {
    await bus.close();
  }
}
