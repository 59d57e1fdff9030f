// How the CLI reports a failure: one line `hls-chips: <what>: <why>` on stderr and exit 1. Users see the
// file, key or URL at fault, not a Node stack; `--verbose` (or HLS_DEBUG=1) adds the stack and causes.

export const PROGRAM = 'hls-chips';

/** `--verbose` may stand anywhere on the command line; it is taken out before commander parses. */
export function takeVerbose(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { argv: string[]; verbose: boolean } {
  const verbose = argv.includes('--verbose') || env.HLS_DEBUG === '1' || env.HLS_DEBUG === 'true';
  return { argv: argv.filter((a) => a !== '--verbose'), verbose };
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  try {
    return JSON.stringify(e) ?? String(e);
  } catch {
    return String(e);
  }
}

/** The error as one line: multi-line messages (a list of config problems, say) joined with "; ". */
export function oneLine(e: unknown): string {
  const parts = messageOf(e)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (parts.length === 0) return e instanceof Error ? e.name : 'unknown error';
  // "config check failed:" + indented problems reads best as "config check failed: a; b".
  const [head, ...rest] = parts;
  if (rest.length === 0) return head!;
  return head!.endsWith(':') ? `${head} ${rest.join('; ')}` : [head, ...rest].join('; ');
}

/** What `verbose` adds: the stack of the error and of each cause. */
export function details(e: unknown): string {
  const out: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 8; depth++) {
    out.push(depth === 0 ? '' : 'caused by:', cur instanceof Error ? (cur.stack ?? cur.message) : String(cur));
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return out.filter(Boolean).join('\n');
}

export function formatFailure(e: unknown, verbose: boolean): string {
  const line = `${PROGRAM}: ${oneLine(e)}`;
  return verbose ? `${line}\n${details(e)}\n` : `${line}\n`;
}

/** A commander error ("error: unknown option '--x'") as our one line; usage mistakes point at --help. */
export function usageFailure(e: Error & { code?: string }): string {
  const line = `${PROGRAM}: ${oneLine(e).replace(/^error:\s*/, '')}`;
  // 'commander.error' is a command's own cmd.error(message): not a usage mistake.
  return e.code === 'commander.error' ? line : `${line} (see ${PROGRAM} --help)`;
}
