// A small Dockerfile reader: instructions (continuations joined, comments dropped) grouped by stage,
// with ARG defaults declared before the first FROM substituted into FROM lines.

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  /** The image after substitution of global ARG defaults (`node:22-slim`). */
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

export interface Dockerfile {
  globalArgs: Record<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  let buf = '';
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (buf === '' && /^\s*#/.test(raw)) continue;
    if (buf !== '' && /^\s*#/.test(raw)) continue; // comment lines inside a continuation
    if (buf === '') start = i + 1;
    const cont = /\\\s*$/.test(raw);
    buf += (buf ? ' ' : '') + raw.replace(/\\\s*$/, '').trim();
    if (cont) continue;
    const m = /^(\w+)\s*(.*)$/.exec(buf.trim());
    if (m) instructions.push({ keyword: (m[1] as string).toUpperCase(), args: (m[2] as string).trim(), line: start });
    buf = '';
  }
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const parts = ins.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      const image = (parts[0] ?? '').replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => globalArgs[(a ?? b) as string] ?? '');
      const as = parts[1]?.toUpperCase() === 'AS' ? parts[2] : undefined;
      stages.push({ from: image, name: as, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword === 'ARG') {
        const [k, v] = ins.args.split('=', 2);
        if (k) globalArgs[k.trim()] = (v ?? '').trim();
      }
    } else {
      (stages[stages.length - 1] as Stage).instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

/** ENTRYPOINT/CMD in exec (JSON array) form, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  try {
    const v = JSON.parse(args) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/** ENV instructions of a stage as a map (both `K=V K2=V2` and legacy `K V` forms). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of stage.instructions) {
    if (ins.keyword !== 'ENV') continue;
    if (!ins.args.includes('=')) {
      const [k, ...rest] = ins.args.split(/\s+/);
      if (k) env[k] = rest.join(' ');
      continue;
    }
    for (const m of ins.args.matchAll(/(\w+)=("([^"]*)"|'([^']*)'|\S*)/g)) env[m[1] as string] = m[3] ?? m[4] ?? (m[2] as string);
  }
  return env;
}
