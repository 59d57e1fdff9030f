// Run view: chips coloured by state, counts per state, a chip panel; live over server-sent events.
'use strict';
// The flow's progress states (libs/contracts/src/flow.ts PROGRESS_STATES), in pipeline order.
const STATES = ['indexed', 'searched', 'selected', 'fetched', 'reprojected', 'clipped', 'accepted', 'rejected', 'failed'];
const LABELS = { indexed: 'indexed', searched: 'scenes searched', selected: 'scenes selected', fetched: 'fetched', reprojected: 'reprojected', clipped: 'clipped', accepted: 'accepted', rejected: 'rejected', failed: 'failed' };
const COLOURS = { none: '#bbbbbb', indexed: '#c6dbef', searched: '#9ecae1', selected: '#6baed6', fetched: '#4292c6', reprojected: '#2171b5', clipped: '#9e67c8', accepted: '#2ca25f', rejected: '#f39c12', failed: '#d7301f' };
// Rejected chips get one colour per reason (warm hues, distinct from the states'), in the order reasons appear.
const REASON_COLOURS = ['#f39c12', '#8c510a', '#e7298a', '#fdd835', '#a6761d', '#ff7f00', '#c51b7d', '#bf812d'];
const reasonKey = (reason) => String(reason || 'unknown').split(':')[0];
(async () => {
  const { map } = await hls.makeMap();
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  let runId = params.get('run');
  while (!runId) {
    const r = await hls.json('/api/runs');
    if (!r.enabled) {
      $('run-status').textContent = 'no run feed: start hls-chips web with NATS reachable (nats.url in the config)';
      return;
    }
    runId = r.runs[r.runs.length - 1];
    if (!runId) await new Promise((res) => setTimeout(res, 2000));
  }
  $('run-id').textContent = runId;
  hls.json('/api/runs').then((r) => {
    const pick = $('run-pick');
    for (const id of r.runs) pick.add(new Option(id, id, false, id === runId));
    pick.hidden = r.runs.length < 2;
    pick.addEventListener('change', () => (location.search = `?run=${encodeURIComponent(pick.value)}`));
  });
  document.title = `hls-chips: run ${runId}`;

  const tbody = $('counts').tBodies[0];
  for (const s of STATES) {
    const tr = tbody.insertRow();
    tr.insertCell().innerHTML = `<span class="swatch" style="background:${COLOURS[s]}"></span> ${LABELS[s]}`;
    const td = tr.insertCell();
    td.className = 'n';
    td.id = `count-${s}`;
    td.textContent = '0';
  }

  const views = new Map(); // chip id -> latest ChipView
  const layers = new Map(); // chip id -> Leaflet layer
  let selectedId = null;
  const reasonColours = new Map(); // rejection reason -> colour, with a legend row each
  function reasonColour(reason) {
    const k = reasonKey(reason);
    let c = reasonColours.get(k);
    if (!c) {
      c = REASON_COLOURS[reasonColours.size % REASON_COLOURS.length];
      reasonColours.set(k, c);
      const tr = $('reasons').tBodies[0].insertRow();
      tr.dataset.reason = k;
      tr.insertCell().innerHTML = `<span class="swatch" style="background:${c}"></span> rejected: ${k.replace(/[<>&]/g, '')}`;
      const td = tr.insertCell();
      td.className = 'n';
      td.textContent = '0';
      $('reasons').hidden = false;
    }
    return c;
  }
  const fillOf = (v) => (v && v.state === 'rejected' ? reasonColour(v.reason) : COLOURS[(v && v.state) || 'none']);
  const style = (v, selected) => ({ color: selected ? '#000' : '#444', weight: selected ? 4 : 1, fillColor: fillOf(v), fillOpacity: 0.75 });
  function paint(id) {
    const layer = layers.get(id);
    const v = views.get(id);
    if (!layer) return;
    layer.setStyle(style(v, id === selectedId));
    const el = layer.getElement && layer.getElement();
    if (el) {
      el.setAttribute('data-state', v ? v.state : 'none');
      el.toggleAttribute('data-selected', id === selectedId);
      if (v && v.state === 'rejected') el.setAttribute('data-reason', reasonKey(v.reason));
    }
  }
  function countReasons() {
    const n = new Map();
    for (const v of views.values()) if (v.state === 'rejected') n.set(reasonKey(v.reason), (n.get(reasonKey(v.reason)) || 0) + 1);
    for (const tr of $('reasons').tBodies[0].rows) tr.cells[1].textContent = String(n.get(tr.dataset.reason) || 0);
  }
  // Tile labels: each tile's id at the centre of its chips on the map.
  const tileLabels = new Map(); // tile id -> Leaflet marker
  function labelTile(tileId) {
    const chips = [...views.values()].filter((v) => v.tileId === tileId && layers.has(v.id)).map((v) => layers.get(v.id));
    if (!chips.length) return;
    const at = L.featureGroup(chips).getBounds().getCenter();
    let m = tileLabels.get(tileId);
    if (!m) {
      m = L.marker(at, { icon: L.divIcon({ className: 'tile-label', html: `<span data-tile="${tileId.replace(/[^0-9A-Z]/g, '')}">${tileId.replace(/[^0-9A-Z]/g, '')}</span>`, iconSize: null }), interactive: false, keyboard: false });
      tileLabels.set(tileId, m);
      m.addTo(map);
    } else m.setLatLng(at);
  }
  // The chip's quick-looks (written by the chipper when the config sets quicklooks): its 3 dates and its mask.
  const CLIPPED = new Set(['clipped', 'accepted', 'rejected']);
  function showLooks(v) {
    const box = $('chip-looks');
    if (box.dataset.chip === v.id && box.childElementCount) return;
    box.replaceChildren();
    box.dataset.chip = v.id;
    if (!CLIPPED.has(v.state)) return;
    const dates = v.scenes ? v.scenes.map((s) => s.date) : [];
    for (const [view, caption] of [['t1', dates[0] || 'date 1'], ['t2', dates[1] || 'date 2'], ['t3', dates[2] || 'date 3'], ['mask', 'label mask']]) {
      const fig = document.createElement('figure');
      const img = new Image();
      img.alt = `${v.id} ${caption}`;
      img.dataset.view = view;
      img.src = `/api/runs/${encodeURIComponent(runId)}/chips/${encodeURIComponent(v.id)}/quicklook/${view}.png`;
      img.onerror = () => fig.remove();
      const cap = document.createElement('figcaption');
      cap.textContent = caption;
      fig.append(img, cap);
      box.append(fig);
    }
  }
  function addLayer(id, layer) {
    layers.set(id, layer);
    layer.on('click', () => showChip(id));
    layer.on('add', () => {
      const el = layer.getElement();
      el.setAttribute('data-chip', id);
      paint(id);
    });
    layer.bindTooltip(id);
    layer.addTo(map);
  }
  const boxes = await hls.json(`/api/runs/${encodeURIComponent(runId)}/chips`);
  const group = L.geoJSON(boxes, { style: style(null, false) });
  for (const l of group.getLayers()) {
    group.removeLayer(l);
    addLayer(l.feature.properties.id, l);
  }
  if (layers.size) map.fitBounds(L.featureGroup([...layers.values()]).getBounds(), { padding: [20, 20] });

  function dd(dl, term, value) {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const d = document.createElement('dd');
    if (typeof value === 'string') d.textContent = value;
    else d.append(...value);
    dl.append(dt, d);
  }
  // `hls-chips web --trace-url 'http://HOST:16686/trace/{traceId}'`: trace ids link to the trace viewer.
  const traceUrl = (await hls.json('/api/config')).traceUrl;
  function traceIdsView(ids) {
    if (!ids || !ids.length) return '-';
    if (!traceUrl) return ids.join('\n');
    return ids.flatMap((t, i) => {
      const a = document.createElement('a');
      a.href = traceUrl.replaceAll('{traceId}', encodeURIComponent(t));
      a.target = '_blank';
      a.rel = 'noopener';
      a.className = 'trace-link';
      a.textContent = t;
      return i ? [document.createElement('br'), a] : [a];
    });
  }
  function showChip(id) {
    const before = selectedId;
    selectedId = id;
    if (before && before !== id) paint(before);
    paint(id);
    const v = views.get(id) || { id, state: 'none', traceIds: [] };
    $('chip-panel').hidden = false;
    $('chip-title').textContent = id;
    const dl = $('chip-details');
    dl.replaceChildren();
    dd(dl, 'state', LABELS[v.state] || 'no events yet');
    dd(dl, 'tile', v.tileId || '-');
    dd(dl, 'scenes', v.scenes ? v.scenes.map((s) => `${s.date} ${s.granuleId}`).join('\n') : '-');
    if (v.qa) {
      dd(dl, 'valid Fmask pixels per date', v.qa.validCounts.join(', '));
      dd(dl, 'worst bad Fmask % per date', v.qa.badPercents.map((p) => p.toFixed(2)).join(', '));
      dd(dl, 'nodata pixels', String(v.qa.nodataCount));
    } else dd(dl, 'QA', '-');
    dd(dl, 'reason', v.reason ? `${v.reason}${v.detail ? `: ${v.detail}` : ''}` : '-');
    dd(dl, 'trace id', traceIdsView(v.traceIds));
    showLooks(v);
  }
  function setCounts(counts, u) {
    if (counts) for (const s of STATES) $(`count-${s}`).textContent = String(counts[s] || 0);
    const total = counts ? STATES.reduce((a, s) => a + (counts[s] || 0), 0) : 0;
    const exp = u.expectedChips != null ? ` of ${u.expectedChips} expected` : '';
    $('run-status').textContent = `${total} chips seen${exp}, ${layers.size} on the map${u.completed ? ' (run complete)' : ''}`;
  }
  function apply(chips) {
    const tiles = new Set();
    for (const v of chips) {
      const before = views.get(v.id);
      views.set(v.id, v);
      if (!layers.has(v.id) && v.center) {
        addLayer(v.id, L.circleMarker([v.center[1], v.center[0]], { radius: 6 }));
      }
      paint(v.id);
      if (v.id === selectedId) showChip(v.id);
      if (v.tileId && (!before || before.tileId !== v.tileId || !tileLabels.has(v.tileId))) tiles.add(v.tileId);
    }
    for (const t of tiles) labelTile(t);
    countReasons();
  }
  const es = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events`);
  es.addEventListener('snapshot', (e) => {
    const s = JSON.parse(e.data);
    apply(s.chips);
    setCounts(s.counts, s);
    document.body.dataset.ready = 'true';
  });
  es.addEventListener('update', (e) => {
    const u = JSON.parse(e.data);
    apply(u.chips);
    setCounts(u.counts, u);
  });
  es.onerror = () => ($('run-status').textContent += ' (reconnecting)');
  window.hlsRun = { map, views, layers, showChip, tileLabels };
})().catch((e) => {
  document.getElementById('run-status').textContent = `error: ${e.message}`;
});
