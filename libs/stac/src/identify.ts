// The original identify_hls_scenes step for a set of tiles: search each tile's scenes, select its
// triple, write the tile's part file, then selected_tiles.csv and tile_payloads.json from all parts.
// Tiles run concurrently (the source's HTTP limiter bounds the requests); a failing tile is reported
// and the others go on.
import type { AreaGeometry, Config, Scene } from '@hls/contracts';
import type { CidMapping } from './cids.ts';
import { loadCidMappingFile, sceneSourceFor, tileSearchParams } from './config-source.ts';
import { errorMessage } from './errors.ts';
import type { HttpEvent } from './http.ts';
import { mergeSceneParts, removeScenePart, writeScenePart } from './outputs.ts';
import { selectScenes } from './select.ts';
import { findScenes } from './source.ts';
import type { SceneProblem, SceneSource } from './source.ts';

export interface TileToIdentify {
  tileId: string;
  geometry?: AreaGeometry;
  chipIds: readonly string[];
  /** The chips' EPSG:4326 areas: granules touching none of them are no candidates (see findScenes). */
  chipAreas?: readonly AreaGeometry[];
}

export interface TileOutcome {
  tileId: string;
  chips: number;
  scenesFound: number;
  problems: SceneProblem[];
  /** The selected granules (date order), or absent when rejected/failed. */
  selected?: string[];
  coverageLevel?: number;
  rejected?: { reason: string; detail: string };
  /** The search itself failed (network, API): the tile's chips cannot be processed. */
  error?: string;
}

export interface IdentifyOptions {
  concurrency?: number;
  source?: SceneSource;
  onEvent?: (e: HttpEvent) => void;
  onTile?: (t: TileOutcome) => void;
}

export async function identifyScenes(
  config: Config,
  datasetDir: string,
  tiles: readonly TileToIdentify[],
  opts: IdentifyOptions = {},
): Promise<{ tiles: TileOutcome[]; files: string[]; selectedScenes: Scene[] }> {
  const source = opts.source ?? sceneSourceFor(config, opts.onEvent ? { onEvent: opts.onEvent } : {});
  const mapping: CidMapping | undefined = config.stac.cid_mapping_file ? await loadCidMappingFile(config.stac.cid_mapping_file) : undefined;
  const outcomes: TileOutcome[] = new Array(tiles.length);
  const selectedScenes: Scene[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tiles.length) {
      const i = next++;
      const t = tiles[i]!;
      const out: TileOutcome = { tileId: t.tileId, chips: t.chipIds.length, scenesFound: 0, problems: [] };
      try {
        const found = await findScenes(source, tileSearchParams(config, t.geometry), { tileId: t.tileId, ...(mapping ? { cidMapping: mapping } : {}), ...(t.chipAreas ? { chipAreas: t.chipAreas } : {}) });
        out.scenesFound = found.scenes.length;
        out.problems = found.problems;
        const sel = selectScenes(found.scenes, { cloudCoverThreshold: config.cloud_cover_threshold, middle: config.scene_selection.middle });
        if (sel.ok) {
          await writeScenePart(datasetDir, t.tileId, sel.scenes);
          out.selected = sel.scenes.map((s) => s.granuleId);
          out.coverageLevel = sel.coverageLevel;
          selectedScenes.push(...sel.scenes);
        } else {
          await removeScenePart(datasetDir, t.tileId);
          out.rejected = { reason: sel.reason, detail: sel.detail };
        }
      } catch (e) {
        out.error = `tile ${t.tileId}: ${errorMessage(e)}`;
      }
      outcomes[i] = out;
      opts.onTile?.(out);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 4, tiles.length)) }, worker));
  const merged = await mergeSceneParts(datasetDir);
  return { tiles: outcomes, files: merged.files, selectedScenes };
}
