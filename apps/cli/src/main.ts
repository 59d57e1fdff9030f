#!/usr/bin/env node
// hls-chips: every command is a module in ./commands exporting register(program).
import { Command } from 'commander';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export async function buildProgram(): Promise<Command> {
  const program = new Command('hls-chips')
    .description('Crop-classification training chips from NASA HLS imagery and the USDA Cropland Data Layer')
    .showHelpAfterError()
    .enablePositionalOptions();
  const dir = join(import.meta.dirname, 'commands');
  const modules = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .sort();
  for (const f of modules) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { register?: (p: Command) => void };
    if (typeof mod.register !== 'function') throw new Error(`apps/cli/src/commands/${f} does not export register(program)`);
    mod.register(program);
  }
  return program;
}

if (import.meta.main) {
  const program = await buildProgram();
  await program.parseAsync(process.argv);
}
