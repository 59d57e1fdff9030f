#!/usr/bin/env node
// hls-chips: every command is a module in ./commands exporting register(program). register() declares the
// command (name, description, options) and nothing more; its action imports the libraries it runs with
// `await import(...)`, so `--help` and the start of a command load no raster, IPFS, STAC or NATS code
// (apps/cli/src/startup.test.ts). Node strips the types of every .ts file it loads, so start-up also loads only
// the command module asked for when it is named after the command (commands/<name>.ts).
import { Command, CommanderError } from 'commander';
import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatFailure, takeVerbose, usageFailure } from './failure.ts';

/** The program with every command, or for `hls-chips <name> ...` (args = process.argv) the one command when
 * commands/<name>.ts defines it; else (top-level help, a command kept in another file) with every command. */
export async function buildProgram(args?: readonly string[]): Promise<Command> {
  const program = new Command('hls-chips')
    .description('Crop-classification training chips from NASA HLS imagery and the USDA Cropland Data Layer')
    .enablePositionalOptions()
    // Usage errors end like every other failure (one line, see main below); commands inherit both settings.
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    // Taken out of argv before parsing (takeVerbose), so it works after any command too; listed here for --help.
    .option('--verbose', 'on failure, print the stack trace and causes (also HLS_DEBUG=1)');
  const dir = join(import.meta.dirname, 'commands');
  // .ts from the source, .mjs from the plain-JavaScript start-up copy (tools/build-cli.ts).
  const ext = extname(import.meta.filename);
  const modules = readdirSync(dir)
    .filter((f) => f.endsWith(ext) && !f.endsWith(`.test${ext}`))
    .sort();
  const register = async (f: string): Promise<void> => {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { register?: (p: Command) => void };
    if (typeof mod.register !== 'function') throw new Error(`apps/cli/src/commands/${f} does not export register(program)`);
    mod.register(program);
  };
  const name = args?.[2];
  const own = name && modules.includes(`${name}${ext}`) ? `${name}${ext}` : undefined;
  if (own) {
    await register(own);
    if (program.commands.some((c) => c.name() === name)) return program;
  }
  for (const f of modules) if (f !== own) await register(f);
  return program;
}

/** Run the command line `process.argv`: the one way it ends is here (exit code, one line on failure). */
export async function main(): Promise<void> {
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
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
  } catch (e) {
    fail(e);
  }
}

if (import.meta.main) await main();
