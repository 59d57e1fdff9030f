// Before any work: every file the config names exists and every source answers. Each problem names the
// config key and the path or URL at fault; all problems are reported at once.
import { access } from 'node:fs/promises';
import { HlsError } from '@hls/common';
import { bandSourcesOf, type Config } from '@hls/contracts';
import { EarthdataCredentials, URS_HOST, cmrStacUrl, earthdataAuthFromEnv, missingCredentialsMessage } from '@hls/stac';

/** The config names files that are not there or sources that do not answer: fix the config, then run again. */
export class PreflightError extends HlsError {
  readonly problems: Array<{ key: string; message: string }>;
  constructor(problems: Array<{ key: string; message: string }>) {
    super('preflight', `config check failed:\n${problems.map((p) => `  ${p.key}: ${p.message}`).join('\n')}`, { retryable: false });
    this.problems = problems;
  }
}

const isUrl = (s: string): boolean => /^https?:\/\//i.test(s);

async function answers(url: string, init: RequestInit, timeoutMs: number): Promise<string | null> {
  try {
    const r = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    await r.body?.cancel();
    return r.status >= 500 ? `${url} answered HTTP ${r.status}` : null;
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return `${url} does not answer: ${cause?.code ?? cause?.message ?? (e as Error).message}`;
  }
}

export async function preflight(cfg: Config, o: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const problems: Array<{ key: string; message: string }> = [];
  const file = async (key: string, path: string | undefined, required = true): Promise<void> => {
    if (!path) {
      if (required) problems.push({ key, message: 'not set' });
      return;
    }
    if (isUrl(path)) {
      const bad = await answers(path, { method: 'HEAD' }, timeoutMs);
      if (bad) problems.push({ key, message: bad });
      return;
    }
    try {
      await access(path);
    } catch {
      problems.push({ key, message: `${path} does not exist or cannot be read` });
    }
  };
  await file('chip_payload_filename', cfg.chip_payload_filename);
  await file('grid_kml', cfg.grid_kml);
  await file('cdl.source', cfg.cdl.source);
  await file('cdl.reclass_table', cfg.cdl.reclass_table);
  await file('stac.cid_mapping_file', cfg.stac.cid_mapping_file, false);
  const s = cfg.stac;
  if (s.type === 'api') {
    const url = s.url ?? cmrStacUrl(cfg.cmr_stac_params);
    const bad = await answers(url, { method: 'GET', headers: { accept: 'application/json' } }, timeoutMs);
    if (bad) problems.push({ key: s.url ? 'stac.url' : 'cmr_stac_params', message: bad });
  } else if (s.type === 'catalog') {
    if (!s.url && !s.path) problems.push({ key: 'stac.url', message: 'stac.type is "catalog" but neither stac.url nor stac.path is set' });
    else await file(s.url ? 'stac.url' : 'stac.path', s.url ?? s.path);
  } else await file('stac.path', s.path);
  // Only the band sources the config lists are checked: a run over granule folders needs no IPFS.
  const sources = bandSourcesOf(cfg);
  if (sources.includes('local') && s.type === 'api') {
    problems.push({ key: 'band_sources', message: 'local needs granule folders: set stac.type: directory and stac.path (a STAC API lists no local files)' });
  }
  if (sources.includes('https')) {
    const env = o.env ?? process.env;
    let creds: EarthdataCredentials | undefined;
    try {
      creds = new EarthdataCredentials(earthdataAuthFromEnv(env), cfg.earthdata.auth_hosts);
    } catch (e) {
      problems.push({ key: 'band_sources', message: `https: cannot read the netrc file: ${(e as Error).message}` });
    }
    if (creds && !creds.present) problems.push({ key: 'band_sources', message: `https: ${missingCredentialsMessage(URS_HOST, env)}` });
  }
  if (sources.includes('ipfs')) {
    const ipfs: Array<{ key: string; message: string }> = [];
    for (const [i, b] of cfg.ipfs.backends.entries()) {
      if (b.type === 'gateway') {
        for (const [j, u] of b.urls.entries()) {
          const bad = await answers(u, { method: 'HEAD' }, timeoutMs);
          if (bad) ipfs.push({ key: `ipfs.backends[${i}].urls[${j}]`, message: bad });
        }
      } else if (b.type === 'kubo') {
        const bad = await answers(`${b.url.replace(/\/+$/, '')}/api/v0/version`, { method: 'POST' }, timeoutMs);
        if (bad) ipfs.push({ key: `ipfs.backends[${i}].url`, message: bad });
      }
    }
    // Backends are tried in order: one that answers is enough; none answering stops the run.
    const checkable = cfg.ipfs.backends.filter((b) => b.type !== 'helia').length;
    const urls = cfg.ipfs.backends.reduce((n, b) => n + (b.type === 'gateway' ? b.urls.length : b.type === 'kubo' ? 1 : 0), 0);
    if (checkable > 0 && ipfs.length === urls && !cfg.ipfs.backends.some((b) => b.type === 'helia')) problems.push(...ipfs);
  }
  if (problems.length > 0) throw new PreflightError(problems);
}
