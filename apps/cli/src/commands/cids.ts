// hls-chips cids grab | check, and hls-chips retrieve: the original pipeline's CID helper scripts
// (grab_cids_from_selected_tiles, check_ipfs_content_retrievability, retrieve_hls_scenes). Logic: @hls/ipfs.
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '@hls/config';
import { DATASET_FILES, datasetDir } from '@hls/contracts';
import {
  bandRefs,
  checkCids,
  createFetcher,
  grabCids,
  readTilePayloads,
  retrieveAll,
  settingsWithFlags,
  writeTilePayloads,
  type BackendFlags,
  type RetrieveProgress,
} from '@hls/ipfs';
import { readCidMappingFile } from '@hls/stac';
import { wholeNumber } from '../options.ts';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

interface CommonOpts extends BackendFlags {
  config?: string;
  dataset?: string;
  payloads?: string;
}

function withBackendOptions(c: Command): Command {
  return c
    .option('--config <file>', 'config YAML (ipfs backends, data_dir, train_dataset_name)')
    .option('--dataset <dir>', 'dataset directory (default <data_dir>/training_datasets/<train_dataset_name>)')
    .option('--payloads <file>', 'tile_payloads.json (default in the dataset directory)')
    .option('--rpc <url>', 'Kubo RPC API URL (replaces the configured backends)')
    .option('--gateway <url>', 'trustless gateway URL, repeatable (replaces the configured backends)', collect, [])
    .option('--peer <multiaddr>', 'bitswap peer for an embedded Helia node, repeatable (replaces the configured backends)', collect, [])
    .option('--timeout <ms>', 'per-request timeout in ms (default: config ipfs.timeout_ms)', wholeNumber(1))
    .option('--retries <n>', 'retry rounds (default: config ipfs.retries)', wholeNumber())
    .option('--concurrency <n>', 'block requests in flight (default: config ipfs.concurrency)', wholeNumber(1));
}

function setup(o: CommonOpts) {
  const config = loadConfig({ file: o.config });
  const dir = o.dataset ?? datasetDir(config.data_dir, config.train_dataset_name);
  return { config, dir, payloads: o.payloads ?? join(dir, DATASET_FILES.tilePayloads), settings: settingsWithFlags(config.ipfs, o) };
}

function fail(cmd: string, e: unknown): void {
  process.stderr.write(`hls-chips ${cmd}: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
function clock(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.round(s % 60)).padStart(2, '0')}`;
}

/** One progress line: files, bytes, rate, ETA (estimated from the sizes known so far). */
export function progressLine(p: RetrieveProgress, seconds: number): string {
  const rate = p.bytes / Math.max(seconds, 0.001);
  const estTotal = p.filesSized > 0 ? (p.knownTotal / p.filesSized) * p.files : 0;
  const eta = rate > 0 && estTotal > 0 ? Math.max(0, estTotal - p.bytes) / rate : Infinity;
  const width = 24;
  const frac = p.files > 0 ? p.filesDone / p.files : 1;
  const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
  return `[${bar}] ${p.filesDone}/${p.files} files  ${mb(p.bytes)}${estTotal > 0 ? ` / ~${mb(estTotal)}` : ''}  ${mb(rate)}/s  ETA ${clock(eta)}`;
}

export function register(program: Command): void {
  const cids = program.command('cids').description('CIDs of the selected scenes: grab them from the mapping, check they can be retrieved');

  cids
    .command('grab')
    .description('build tile_payloads.json (7 band files and CIDs per scene) from selected_tiles.csv and the filename->CID mapping')
    .option('--config <file>', 'config YAML')
    .option('--dataset <dir>', 'dataset directory (default from the config)')
    .option('--selected <file>', 'selected_tiles.csv (default in the dataset directory)')
    .option('--mapping <file>', 'easierdata filename->CID mapping (default: config stac.cid_mapping_file, else filename_to_cid_mapping.json)')
    .option('--out <file>', 'tile_payloads.json to write (default in the dataset directory)')
    .action(async (o: { config?: string; dataset?: string; selected?: string; mapping?: string; out?: string }) => {
      try {
        const config = loadConfig({ file: o.config });
        const dir = o.dataset ?? datasetDir(config.data_dir, config.train_dataset_name);
        const selected = o.selected ?? join(dir, DATASET_FILES.selectedTiles);
        const mappingFile = o.mapping ?? config.stac.cid_mapping_file ?? 'filename_to_cid_mapping.json';
        const g = grabCids(await readFile(selected, 'utf8'), await readCidMappingFile(mappingFile), selected);
        const out = o.out ?? join(dir, DATASET_FILES.tilePayloads);
        await writeTilePayloads(out, g.payloads);
        for (const p of g.problems) process.stderr.write(`${p}\n`);
        for (const m of g.missing) process.stderr.write(`no CID in ${mappingFile} for ${m.filename}\n`);
        process.stdout.write(`${JSON.stringify({ out, scenes: g.payloads.length, bands: g.payloads.length * 7, withoutCid: g.missing.length, problems: g.problems.length })}\n`);
      } catch (e) {
        fail('cids grab', e);
      }
    });

  withBackendOptions(
    cids
      .command('check')
      .description('ask the IPFS backends for every CID of tile_payloads.json (verified root block, with timeout and retries); write missing_cids.json as JSON lines {scene, band, filename, cid} and print a summary'),
  )
    .option('--out <file>', 'missing_cids.json to write (default in the dataset directory)')
    .action(async (o: CommonOpts & { out?: string }) => {
      let fetcher;
      try {
        const { dir, payloads, settings } = setup(o);
        fetcher = await createFetcher(settings);
        const refs = bandRefs(await readTilePayloads(payloads));
        const out = o.out ?? join(dir, DATASET_FILES.missingCids);
        const t0 = Date.now();
        const r = await checkCids(fetcher, refs, {
          missingFile: out,
          onResult: (x) => {
            if (!x.available) process.stderr.write(`missing ${x.filename} ${x.cid ?? '(no CID)'}: ${x.reason}\n`);
          },
        });
        const missing = r.filter((x) => !x.available).length;
        process.stdout.write(`${JSON.stringify({ checked: r.length, available: r.length - missing, missing, missingFile: out, seconds: (Date.now() - t0) / 1000 })}\n`);
        if (missing > 0) process.exitCode = 1;
      } catch (e) {
        fail('cids check', e);
      } finally {
        await fetcher?.close();
      }
    });

  withBackendOptions(
    program
      .command('retrieve')
      .description('download every band file of tile_payloads.json to <dataset>/tiles/<granule>/<granule>.<band>.tif, verified and resumable, with a progress bar (bytes/s, ETA)'),
  )
    .option('--quiet', 'no progress bar')
    .action(async (o: CommonOpts & { quiet?: boolean }) => {
      let fetcher;
      try {
        const { dir, payloads, settings } = setup(o);
        fetcher = await createFetcher(settings);
        const refs = bandRefs(await readTilePayloads(payloads));
        const t0 = Date.now();
        let lastPrint = 0;
        const r = await retrieveAll(fetcher, refs, dir, {
          onProgress: (p) => {
            if (o.quiet || (Date.now() - lastPrint < 200 && p.filesDone < p.files)) return;
            lastPrint = Date.now();
            process.stderr.write(`\r${progressLine(p, (Date.now() - t0) / 1000)}   `);
          },
        });
        if (!o.quiet) process.stderr.write('\n');
        const failed = r.filter((x) => x.error);
        for (const x of failed) process.stderr.write(`failed ${x.filename}: ${x.error}\n`);
        const bytes = r.reduce((n, x) => n + (x.result?.bytes ?? 0), 0);
        process.stdout.write(
          `${JSON.stringify({ files: r.length, fetched: r.filter((x) => x.result && !x.result.reused).length, reused: r.filter((x) => x.result?.reused).length, failed: failed.length, bytes, seconds: (Date.now() - t0) / 1000 })}\n`,
        );
        if (failed.length > 0) process.exitCode = 1;
      } catch (e) {
        fail('retrieve', e);
      } finally {
        await fetcher?.close();
      }
    });
}
