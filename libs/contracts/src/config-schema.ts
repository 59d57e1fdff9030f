// The pipeline configuration: the original pipeline's keys and defaults (snake_case, so its config.yaml
// keeps working), plus what the event-driven version needs. libs/config loads YAML + env into this.
import { z } from 'zod';
import { BAND_SOURCES, BANDS, CLASS_NAMES, LIMITS, PROCESSING_MODES, SEARCH_WINDOW, SELECTION_DEFAULTS, type BandSourceName } from './domain.ts';

/**
 * An instant (RFC 3339, `2022-09-30T00:00:00Z`) or a bare date, which means that day's 00:00:00Z, as the
 * original's `datetime(2022, 9, 30)` does: `search.to: 2022-09-30` excludes scenes of 30 September.
 */
const instant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$/, 'expected an instant YYYY-MM-DDTHH:MM:SSZ or a date YYYY-MM-DD')
  .refine((v) => !Number.isNaN(Date.parse(v)), 'not a valid date')
  .transform((v) => (v.length === 10 ? `${v}T00:00:00Z` : v));
const port = z.coerce.number().int().min(0).max(65535);
const posInt = z.coerce.number().int().positive();

export const NatsConfigSchema = z
  .object({
    url: z.string().default('nats://127.0.0.1:4222'),
    user: z.string().optional(),
    pass: z.string().optional(),
    token: z.string().optional(),
    creds_file: z.string().optional(),
    tls: z
      .object({
        ca_file: z.string().optional(),
        cert_file: z.string().optional(),
        key_file: z.string().optional(),
      })
      .optional(),
    /** JetStream stream replicas (3 on a NATS cluster, 1 on a single server). */
    replicas: posInt.default(1),
  })
  .strict();
export type NatsConfig = z.infer<typeof NatsConfigSchema>;

export const CmrStacParamsSchema = z
  .object({
    stac_base_cmr_url: z.string().url().default('https://cmr.earthdata.nasa.gov'),
    stac_endpoint_provider: z.string().default('stac'),
    stac_catalog: z.string().default('LPCLOUD'),
    stac_collection_id: z.string().default('HLSS30_2.0'),
    async_concurrency_limit: posInt.default(50),
  })
  .strict();

/** Where scenes are discovered: a STAC API (CMR-STAC by default), a static catalog, or a granule directory. */
export const StacSourceSchema = z
  .object({
    type: z.enum(['api', 'catalog', 'directory']).default('api'),
    /** STAC API root (defaults to the CMR-STAC URL built from cmr_stac_params) or catalog.json URL/path. */
    url: z.string().optional(),
    /** Local granule directory or catalog path. */
    path: z.string().optional(),
    page_limit: posInt.default(100),
    timeout_ms: posInt.default(30_000),
    retries: z.coerce.number().int().min(0).default(5),
    /** Filename-to-CID mapping (easierdata format) for items that carry no CIDs. */
    cid_mapping_file: z.string().optional(),
  })
  .strict();

export const IpfsBackendSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('kubo'), url: z.string() }).strict(),
  z.object({ type: z.literal('gateway'), urls: z.array(z.string()).min(1) }).strict(),
  z.object({ type: z.literal('helia'), peers: z.array(z.string()).min(1) }).strict(),
]);
export type IpfsBackendConfig = z.infer<typeof IpfsBackendSchema>;

export const IpfsConfigSchema = z
  .object({
    /** Tried in order until one delivers verified bytes. */
    backends: z.array(IpfsBackendSchema).default([{ type: 'gateway', urls: ['http://127.0.0.1:8080'] }]),
    timeout_ms: posInt.default(60_000),
    retries: z.coerce.number().int().min(0).default(4),
    concurrency: posInt.default(8),
    /** Largest block taken when nothing gives its size (a root); every other block is held to the size its parent gives. */
    max_block_bytes: posInt.default(LIMITS.maxBlockBytes),
  })
  .strict();

/** Memory bounds on untrusted inputs: a file or peer over them is refused in one line (a permanent failure). */
export const LimitsSchema = z
  .object({
    /** Largest raster read at once (pixels x bands): band files, reprojection outputs, chip windows. */
    max_raster_pixels: posInt.default(LIMITS.maxRasterPixels),
  })
  .strict();
export type LimitsConfig = z.infer<typeof LimitsSchema>;

export const BandSourcesSchema = z
  .array(z.enum(BAND_SOURCES))
  .min(1, 'list at least one of local, ipfs, https')
  .refine((l) => new Set(l).size === l.length, 'lists a source twice')
  .optional();

/** Earthdata Login for HTTPS band downloads (credentials: EARTHDATA_TOKEN or NETRC / ~/.netrc). */
export const EarthdataConfigSchema = z
  .object({
    /** Hosts (suffix match) credentials may be sent to; never any other host. */
    auth_hosts: z.array(z.string().regex(/^[a-z0-9.-]+$/i, 'expected a host name')).min(1).default(['earthdata.nasa.gov', 'earthdatacloud.nasa.gov']),
    /** A request that sends no byte for this long is retried (resuming with Range). */
    timeout_ms: posInt.default(60_000),
    /** Extra attempts per band after a transient failure (network error, 5xx, 429, timeout). */
    retries: z.coerce.number().int().min(0).default(4),
    /** Band downloads at once per process. */
    concurrency: posInt.default(4),
  })
  .strict();

export const ServiceTuningSchema = z
  .object({
    concurrency: posInt.default(1),
    ack_wait_ms: posInt.default(60_000),
    max_deliver: posInt.default(5),
  })
  .strict();

/** How the dataset describes itself in its STAC Collection and dataset card (all optional). */
export const DatasetDescriptionSchema = z
  .object({
    title: z.string().optional(),
    description: z.string().optional(),
    /** SPDX license id, `various` or `proprietary` (STAC's license field). */
    license: z.string().regex(/^[\w\-.+]+$/, 'expected an SPDX license id, various or proprietary').optional(),
    citation: z.string().optional(),
    keywords: z.array(z.string()).optional(),
  })
  .strict();

export const ConfigSchema = z
  .object({
    data_dir: z.string().default('./data'),
    train_dataset_name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a plain folder name').default('training_data'),
    chip_payload_filename: z.string().optional(),
    /** The Sentinel-2 tile grid KML (ESA layout). */
    grid_kml: z.string().optional(),
    cmr_stac_params: CmrStacParamsSchema.default(CmrStacParamsSchema.parse({})),
    stac: StacSourceSchema.default(StacSourceSchema.parse({})),
    search: z
      .object({ from: instant.default(SEARCH_WINDOW.from), to: instant.default(SEARCH_WINDOW.to) })
      .strict()
      .default({ ...SEARCH_WINDOW }),
    cloud_cover_threshold: z.coerce.number().min(0).max(100).default(SELECTION_DEFAULTS.cloudCoverThreshold),
    scene_selection: z
      .object({ middle: z.enum(['lower', 'upper']).default('lower') })
      .strict()
      .default({ middle: 'lower' }),
    geographic_crs: z.literal('EPSG:4326').default('EPSG:4326'),
    projected_crs: z.literal('EPSG:5070').default('EPSG:5070'),
    class_mapping: z
      .record(z.string(), z.string())
      .default(Object.fromEntries(CLASS_NAMES.map((n, i) => [String(i), n]))),
    selected_hls_bands: z.array(z.enum(BANDS)).default([...BANDS]),
    /** Band sources in the order they are tried: local granule folders, IPFS, HTTPS (Earthdata). */
    band_sources: BandSourcesSchema,
    ipfs: IpfsConfigSchema.default(IpfsConfigSchema.parse({})),
    earthdata: EarthdataConfigSchema.default(EarthdataConfigSchema.parse({})),
    limits: LimitsSchema.default(LimitsSchema.parse({})),
    cdl: z
      .object({
        /** CDL GeoTIFF: a local path or an http(s) COG URL; read by window, never whole. */
        source: z.string().optional(),
        /** cdl_total_dst.csv: old_class_value -> new_class_value. */
        reclass_table: z.string().optional(),
      })
      .strict()
      .default({}),
    /**
     * chips: fetch and warp only the windows the tile's chips cover (sparse files in tiles_reprojected/);
     * tiles: warp every band whole (the original's method; tiles_reprojected/ holds whole tiles).
     */
    processing: z.enum(PROCESSING_MODES).default('chips'),
    reproject: z
      .object({
        extent: z.enum(['footprint', 'padded']).default('footprint'),
        workers: z.coerce.number().int().min(0).default(0),
      })
      .strict()
      .default({ extent: 'footprint', workers: 0 }),
    split: z
      .object({ seed: z.coerce.number().int().default(42), train_fraction: z.coerce.number().gt(0).lt(1).default(0.8) })
      .strict()
      .default({ seed: 42, train_fraction: 0.8 }),
    nats: NatsConfigSchema.default(NatsConfigSchema.parse({})),
    services: z.record(z.string(), ServiceTuningSchema).default({}),
    /** Health, readiness and Prometheus metrics of a service process. */
    health_port: port.default(9464),
    /** Address the health server binds: loopback unless set (a Kubernetes pod sets 0.0.0.0 for its probes). */
    health_host: z.string().min(1).default('127.0.0.1'),
    /** Quick-look PNGs of every clipped chip (true colour per date, the mask in class colours): chips_quicklook/. */
    quicklooks: z.boolean().default(false),
    /** Title, description, license and citation of the dataset (STAC Collection, dataset card). */
    dataset: DatasetDescriptionSchema.optional(),
  })
  .strict();
export type Config = z.infer<typeof ConfigSchema>;

/**
 * The band sources of a config: `band_sources` when set, else what the scene source implies: granule folders
 * (`stac.type: directory`) are used in place, scenes from a STAC API or catalog come by CID over IPFS.
 */
export function bandSourcesOf(config: Pick<Config, 'band_sources' | 'stac'>): BandSourceName[] {
  return config.band_sources ?? (config.stac.type === 'directory' ? ['local'] : ['ipfs']);
}

/** The granule folders whose band files a run uses in place (`stac.type: directory`). */
export const granuleFoldersOf = (config: Pick<Config, 'stac'>): string[] => (config.stac.type === 'directory' && config.stac.path ? [config.stac.path] : []);

/** `nats://user:pass@host:4222` -> the credentials in the URL, if any, and the URL without them. */
function splitUrlCredentials(url: string): { url: string; user?: string; pass?: string } {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i.exec(url);
  if (!m) return { url };
  const [user, pass] = (m[2] ?? '').split(':', 2).map(decodeURIComponent);
  return { url: m[1] + url.slice(m[0].length), ...(user ? { user } : {}), ...(pass !== undefined ? { pass } : {}) };
}

/** The NATS credentials of a config (explicit keys first, else what the server URLs carry). */
export function natsCredentials(nats: NatsConfig): { user?: string; pass?: string; token?: string } {
  const inUrl = nats.url.split(',').map((s) => splitUrlCredentials(s.trim())).find((u) => u.user !== undefined);
  const user = nats.user ?? inUrl?.user;
  // `nats://TOKEN@host` carries a token where a user would be.
  const urlToken = inUrl && inUrl.pass === undefined && !nats.user ? inUrl.user : undefined;
  const out: { user?: string; pass?: string; token?: string } = {};
  if (nats.token ?? urlToken) out.token = nats.token ?? urlToken;
  if (user && !urlToken) out.user = user;
  if (nats.pass ?? inUrl?.pass) out.pass = nats.pass ?? inUrl?.pass;
  return out;
}

/**
 * The config without NATS credentials (user, password, token, and those inside server URLs): what may go
 * into events, KV and the files we write. Processes take the credentials from the environment.
 */
export function withoutSecrets(c: Config): Config {
  const { user: _u, pass: _p, token: _t, ...nats } = c.nats;
  const url = c.nats.url
    .split(',')
    .map((s) => splitUrlCredentials(s.trim()).url)
    .join(',');
  return { ...c, nats: { ...nats, url } };
}

/** True when the config carries a NATS credential that must not leave the process. */
export const hasSecrets = (c: Config): boolean => Object.keys(natsCredentials(c.nats)).length > 0;
