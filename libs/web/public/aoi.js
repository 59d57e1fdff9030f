// AOI selector: chip boxes, a drawn/edited polygon, the chips it selects (counted by the server with
// the same filter that saves them), and Save.
'use strict';
(async () => {
  const { map, cfg } = await hls.makeMap();
  const $ = (id) => document.getElementById(id);
  $('source').textContent = cfg.chipsFile ? `chips: ${cfg.chipsFile}` : 'no chip payload loaded (--chips)';
  $('chip-total').textContent = String(cfg.chipCount);
  const base = { color: '#666', weight: 1, fillColor: '#999', fillOpacity: 0.25 };
  const hit = { color: '#c0392b', weight: 1.5, fillColor: '#e74c3c', fillOpacity: 0.6 };
  const byId = new Map();
  const chips = L.geoJSON(await hls.json('/api/chips'), {
    style: base,
    pmIgnore: true,
    onEachFeature: (f, layer) => {
      byId.set(f.properties.id, layer);
      layer.bindTooltip(f.properties.id);
      layer.on('add', () => layer.getElement()?.setAttribute('data-chip', f.properties.id));
    },
  }).addTo(map);
  if (chips.getLayers().length) map.fitBounds(chips.getBounds(), { padding: [20, 20] });

  map.pm.addControls({ position: 'topleft', drawMarker: false, drawCircleMarker: false, drawPolyline: false, drawCircle: false, drawText: false, cutPolygon: false, rotateMode: false });
  let aoi = null;
  let selected = new Set();
  let seq = 0;
  const aoiGeoJson = () => aoi && aoi.toGeoJSON();
  // Chips the AOI touches by default, as the original select_aoi map; the box asks for the strict rule.
  const mode = () => ($('within').checked ? 'within' : 'intersects');

  async function refresh() {
    const mine = ++seq;
    if (!aoi) {
      selected = new Set();
    } else {
      const r = await hls.json('/api/aoi/preview', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ aoi: aoiGeoJson(), mode: mode() }) });
      if (mine !== seq) return; // a newer edit is on its way
      selected = new Set(r.ids);
    }
    for (const [id, layer] of byId) {
      const on = selected.has(id);
      layer.setStyle(on ? hit : base);
      layer.getElement()?.setAttribute('data-selected', on ? 'true' : 'false');
    }
    $('aoi-count').textContent = String(selected.size);
    $('save').disabled = !aoi;
  }
  const refreshSafe = () => refresh().catch((e) => showMessage(e.message, true));

  map.on('pm:create', (e) => {
    if (aoi) map.removeLayer(aoi); // one AOI at a time: a new drawing replaces the old
    aoi = e.layer;
    aoi.on('pm:edit pm:dragend pm:markerdragend', refreshSafe);
    aoi.on('pm:remove', () => {
      aoi = null;
      refreshSafe();
    });
    refreshSafe();
  });
  map.on('pm:remove', (e) => {
    if (e.layer === aoi) {
      aoi = null;
      refreshSafe();
    }
  });
  $('within').addEventListener('change', refreshSafe);

  function showMessage(text, error) {
    $('message').textContent = text;
    $('message').className = error ? 'error' : '';
  }
  $('save-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!aoi) return;
    try {
      const r = await hls.json('/api/aoi/save', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: $('aoi-name').value, aoi: aoiGeoJson(), mode: mode() }),
      });
      showMessage(`saved ${r.count} chips: ${r.payload} and ${r.twin}`, false);
    } catch (e) {
      showMessage(`not saved: ${e.message}`, true);
    }
  });
  window.hlsAoi = { map, chips, ready: true };
  document.body.dataset.ready = 'true';
})().catch((e) => {
  document.getElementById('message').textContent = `error: ${e.message}`;
  document.getElementById('message').className = 'error';
});
