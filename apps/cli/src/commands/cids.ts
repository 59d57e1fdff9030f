// hls-chips cids grab | check, and hls-chips retrieve: the original pipeline's CID helper scripts
// (grab_cids_from_selected_tiles, check_ipfs_content_retrievability, retrieve_hls_scenes). Logic: @hls/ipfs,
// and @hls/bands for retrieve (any band source: local granule folders, IPFS, HTTPS with Earthdata Login).
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BandAsset } from '@hls/contracts';
import { BAND_SOURCES, type BandSourceName } from '@hls/contracts/domain';
import type { BandSources, RetrieveProgress } from '@hls/bands';
import type { BackendFlags } from '@hls/ipfs';
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

async function setup(o: CommonOpts) {
  const [{ loadConfig }, { DATASET_FILES, datasetDir }, { settingsWithFlags }] = await Promise.all([import('@hls/config'), import('@hls/contracts'), import('@hls/ipfs')]);
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
        const [{ loadConfig }, { DATASET_FILES, datasetDir }, { grabCids, writeTilePayloads }, { readCidMappingFile }] = await Promise.all([
          import('@hls/config'),
          import('@hls/contracts'),
          import('@hls/ipfs'),
          import('@hls/stac'),
        ]);
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
        const { dir, payloads, settings } = await setup(o);
        const [{ DATASET_FILES }, { bandRefs, checkCids, createFetcher, readTilePayloads }] = await Promise.all([import('@hls/contracts'), import('@hls/ipfs')]);
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
      .description(
        'get every band file of tile_payloads.json from the band sources in order (config band_sources, or --source): ' +
          'local granule folders (used in place, no copy), IPFS by CID (verified), HTTPS from the scenes\' links with Earthdata Login ' +
          '(EARTHDATA_TOKEN or NETRC / ~/.netrc; verified by size and checksum; resumable); downloads go to ' +
          '<dataset>/tiles/<granule>/<granule>.<band>.tif. Progress bar with bytes/s and ETA.',
      ),
  )
    .option('--source <name>', `band source, repeatable or comma-separated, tried in the order given: ${BAND_SOURCES.join(', ')} (default: config band_sources)`, collect, [])
    .option('--quiet', 'no progress bar')
    .action(async (o: CommonOpts & { quiet?: boolean; source: string[] }) => {
      let sources: BandSources | undefined;
      try {
        const { config, dir, payloads, settings } = await setup(o);
        const [{ bandSourcesOf }, { BandSources, bandSourceSettings, retrieveAll }, { bandRefs, readTilePayloads }, { readSceneParts }] = await Promise.all([
          import('@hls/contracts'),
          import('@hls/bands'),
          import('@hls/ipfs'),
          import('@hls/stac'),
        ]);
        const order = parseSources(o.source) ?? bandSourcesOf(config);
        sources = new BandSources({ ...bandSourceSettings(config), order, ipfs: settings });
        const refs = bandRefs(await readTilePayloads(payloads));
        // The scenes the run selected know more than tile_payloads.json: https links, sizes, checksums.
        const assets = new Map<string, BandAsset>();
        for (const scene of (await readSceneParts(dir)).scenes) for (const b of scene.bands) assets.set(b.filename, b);
        const t0 = Date.now();
        let lastPrint = 0;
        const r = await retrieveAll(sources, refs, dir, {
          assets,
          onProgress: (p) => {
            if (o.quiet || (Date.now() - lastPrint < 200 && p.filesDone < p.files)) return;
            lastPrint = Date.now();
            process.stderr.write(`\r${progressLine(p, (Date.now() - t0) / 1000)}   `);
          },
        });
        if (!o.quiet) process.stderr.write('\n');
        const failed = r.filter((x) => x.error);
        for (const x of failed) process.stderr.write(`failed ${x.filename}: ${x.error}\n`);
        const served = r.filter((x) => !x.error);
        const bySource: Partial<Record<BandSourceName, number>> = {};
        for (const x of served) if (x.source) bySource[x.source] = (bySource[x.source] ?? 0) + 1;
        const bytes = served.reduce((n, x) => n + (x.bytes ?? 0), 0);
        process.stdout.write(
          `${JSON.stringify({ files: r.length, fetched: served.filter((x) => !x.reused).length, reused: served.filter((x) => x.reused).length, failed: failed.length, bySource, bytes, seconds: (Date.now() - t0) / 1000 })}\n`,
        );
        if (failed.length > 0) process.exitCode = 1;
      } catch (e) {
        fail('retrieve', e);
      } finally {
        await sources?.close();
      }
    });
}

/** --source values (repeatable, comma-separated) in order; undefined when none were given. */
export function parseSources(values: readonly string[]): BandSourceName[] | undefined {
  const names = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  if (names.length === 0) return undefined;
  const out: BandSourceName[] = [];
  for (const n of names) {
    const known = BAND_SOURCES.find((s) => s === n);
    if (!known) throw new Error(`--source must be one of ${BAND_SOURCES.join(', ')}, got '${n}'`);
    if (!out.includes(known)) out.push(known);
  }
  return out;
}
