// Where the run's scenes were found, from its config: the STAC API (CMR-STAC or stac.url) and each
// granule's item URL in it, or the static catalog. Granule folders (stac.type: directory) have no item URLs.
import type { Config } from '@hls/contracts';
import { cmrStacUrl } from '@hls/stac';

export interface SourceCatalogue {
  /** The STAC API root or catalog the scenes were searched in. */
  catalogue?: string;
  /** A granule's item in that API (`<root>/collections/<collection>/items/<granule>`). */
  itemUrl?: (granuleId: string) => string;
}

export function sourceCatalogueOf(config: Pick<Config, 'stac' | 'cmr_stac_params'>): SourceCatalogue {
  const { stac, cmr_stac_params: cmr } = config;
  if (stac.type === 'api') {
    const root = (stac.url ?? cmrStacUrl(cmr)).replace(/\/+$/, '');
    const collection = encodeURIComponent(cmr.stac_collection_id);
    return { catalogue: root, itemUrl: (g) => `${root}/collections/${collection}/items/${encodeURIComponent(g)}` };
  }
  if (stac.type === 'catalog') {
    const where = stac.url ?? stac.path;
    return where ? { catalogue: where } : {};
  }
  return stac.path ? { catalogue: stac.path } : {};
}
