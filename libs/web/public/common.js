// Shared by both pages: the map with optional base map and the tile grid overlay.
'use strict';
window.hls = {
  async json(url, init) {
    const r = await fetch(url, init);
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.error || `${r.status} ${r.statusText}`);
    return body;
  },
  async makeMap() {
    const cfg = await this.json('/api/config');
    const map = L.map('map', { preferCanvas: false, zoomSnap: 0.25 });
    if (cfg.baseMap) L.tileLayer(cfg.baseMap.url, { attribution: cfg.baseMap.attribution || '' }).addTo(map);
    const grid = await this.json('/api/grid');
    const tiles = L.geoJSON(grid, {
      style: { color: '#3a6ea5', weight: 1, fill: false, dashArray: '4 3' },
      interactive: false,
      snapIgnore: true, // drawing an AOI should not jump to tile edges
      pmIgnore: true,
    });
    const overlays = { 'Sentinel-2 tiles': tiles };
    tiles.addTo(map);
    L.control.layers(null, overlays, { collapsed: true }).addTo(map);
    map.setView([40, -95], 4);
    return { map, cfg, tiles, overlays };
  },
};
