#!/usr/bin/env node
// hls-chips: every command is a module in ./commands exporting register(program).
import { Command, CommanderError } from 'commander';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatFailure, takeVerbose, usageFailure } from './failure.ts';

export async function buildProgram(): Promise<Command> {
  const program = new Command('hls-chips')
    .description('Crop-classification training chips from NASA HLS imagery and the USDA Cropland Data Layer')
    .enablePositionalOptions()
    // Usage errors end like every other failure (one line, see main below); commands inherit both settings.
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    // Taken out of argv before parsing (takeVerbose), so it works after any command too; listed here for --help.
    .option('--verbose', 'on failure, print the stack trace and causes (also HLS_DEBUG=1)');
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
  const { argv, verbose } = takeVerbose(process.argv);
  const fail = (e: unknown): void => {
    if (e instanceof CommanderError) {
      // --help and --version come here too, with exit code 0 and their text already printed.
      if (e.exitCode !== 0) process.stderr.write(`${usageFailure(e)}\n`);
      process.exit(e.exitCode);
    }
    process.stderr.write(formatFailure(e, verbose));
    process.exit(1);
  };
  // Errors from background work (a server callback, a stream) end the command the same way.
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  try {
    const program = await buildProgram();
    await program.parseAsync(argv);
  } catch (e) {
    fail(e);
  }
}
