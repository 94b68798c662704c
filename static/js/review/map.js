// The officials' review map: one JSON endpoint gives points or server-made clusters for the
// view, the counts and one page of the list. Every user text goes in with textContent.
// Leaflet is loaded as a classic script (deferred) before this module runs: the global L.

const config = JSON.parse(document.getElementById('review-config').textContent);
const form = document.getElementById('filters');
const statusLine = document.getElementById('review-status');
const errorLine = document.getElementById('filter-error');
const listBody = document.querySelector('#review-list tbody');
const state = { sort: '-created', page: 1, seq: 0, controller: null };
window.__reviewUpdates = 0;

const fmt = new Intl.DateTimeFormat(config.lang, {
  timeZone: config.timezone, dateStyle: 'short', timeStyle: 'short' });

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_m, key) => String(values[key]));
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const url = new URL(window.location.href);
const map = L.map('review-map', { minZoom: config.tiles.tile_min_zoom,
  maxZoom: config.tiles.tile_max_zoom, attributionControl: Boolean(config.tiles.tile_attribution) });
if (map.attributionControl) map.attributionControl.setPrefix(false);
L.tileLayer(config.tiles.tile_url, { minZoom: config.tiles.tile_min_zoom,
  maxZoom: config.tiles.tile_max_zoom, attribution: config.tiles.tile_attribution || '' }).addTo(map);
const layer = L.layerGroup().addTo(map);
// A quiet view comes as points (at most a few hundred): they are grouped here, in the
// browser, where they would overlap; a busy one comes as clusters the server counted.
const pins = L.markerClusterGroup({ maxClusterRadius: 40, showCoverageOnHover: false,
  iconCreateFunction: (group) => clusterIcon(summarise(group.getAllChildMarkers())) });
map.addLayer(pins);

function summarise(markers) {
  const kinds = {};
  for (const m of markers) kinds[m.options.kind] = (kinds[m.options.kind] || 0) + 1;
  return { count: markers.length, kinds };
}

const at = (url.searchParams.get('at') || '').split(',').map(Number);
state.sort = url.searchParams.get('sort') || state.sort;
state.page = Number(url.searchParams.get('page')) || 1;
function chosenWalks() {
  return [...document.getElementById('f-walk').selectedOptions].map((o) => o.value);
}

// The chosen walks' extent, else the municipality's.
function fitFilter() {
  const boxes = chosenWalks().map((code) => config.walk_bounds[code]).filter(Boolean);
  const box = boxes.length ? boxes.reduce((a, b) => [Math.min(a[0], b[0]), Math.min(a[1], b[1]),
    Math.max(a[2], b[2]), Math.max(a[3], b[3])]) : config.bounds;
  if (box) map.fitBounds([[box[1], box[0]], [box[3], box[2]]]);
  else map.setView([57.15, 15.27], 12);
}

if (at.length === 3 && at.every(Number.isFinite)) map.setView([at[0], at[1]], at[2]);
else fitFilter();

function filterParams() {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(form)) if (value !== '') params.append(key, value);
  return params;
}

function inputUrl(id) {
  const back = window.location.pathname + window.location.search;
  return config.input_url.replace('00000000-0000-0000-0000-000000000000', id) +
    '?back=' + encodeURIComponent(back);
}

function describe(item) {
  const parts = [config.labels.kind[item.kind], config.labels.status[item.status]];
  if (item.overdue) parts.push(config.text.overdue);
  if (item.hidden) parts.push(config.text.hidden);
  if (item.merged) parts.push(config.text.merged);
  return parts.join(', ');
}

function pinIcon(item) {
  const pin = el('div', `pin kind-${item.kind}${item.hidden ? ' hidden' : ''}${item.overdue ? ' is-overdue' : ''}`);
  pin.append(el('span', 'glyph', config.symbols[item.status] || ''));
  if (item.overdue) pin.append(el('span', 'badge', '!'));
  if (item.hidden) pin.append(el('span', 'badge hidden-badge', '⊘'));
  return L.divIcon({ html: pin, className: 'pin-wrap', iconSize: [30, 30], iconAnchor: [15, 15] });
}

function clusterIcon(c) {
  const node = el('div', 'cluster');
  const count = el('span', 'count', String(c.count));
  count.setAttribute('aria-hidden', 'true');
  // The icon is a button: its words are its name for screen readers.
  node.append(count, el('span', 'visually-hidden', fill(config.text.cluster, { n: c.count })));
  const size = c.count >= 1000 ? 54 : c.count >= 100 ? 46 : 38;
  node.style.width = node.style.height = `${size}px`;
  // The ring has the colour of the kind most inputs in it are; the words say the rest.
  // (A conic gradient per cluster looked nicer but cost a second to paint 768 of them.)
  const kinds = Object.keys(config.labels.kind);
  const most = kinds.reduce((a, b) => ((c.kinds[b] || 0) > (c.kinds[a] || 0) ? b : a));
  node.classList.add(`ring-${most}`);
  return L.divIcon({ html: node, className: 'cluster-wrap', iconSize: [size, size],
    iconAnchor: [size / 2, size / 2] });
}

function drawMap(data) {
  layer.clearLayers();
  pins.clearLayers();
  pins.addLayers(data.points.map((p) => {
    const marker = L.marker([p.lat, p.lon], { icon: pinIcon(p), title: describe(p),
      keyboard: true, kind: p.kind });
    marker.on('click', () => { window.location.href = inputUrl(p.id); });
    return marker;
  }));
  for (const c of data.clusters) {
    const kinds = Object.entries(c.kinds).map(([k, n]) => `${config.labels.kind[k]}: ${n}`).join(', ');
    const marker = L.marker([c.lat, c.lon], { icon: clusterIcon(c), keyboard: true,
      title: `${fill(config.text.cluster, { n: c.count })} (${kinds})` });
    marker.on('click', () => {
      const [w, s, e, n] = c.bbox;
      map.fitBounds([[s, w], [n, e]], { maxZoom: map.getZoom() + 3 });
    });
    layer.addLayer(marker);
  }
}

function drawCounts(counts) {
  for (const group of ['kind', 'category', 'department']) {
    const body = document.querySelector(`#counts-${group} tbody`);
    const rows = Object.entries(counts[group] || {}).sort((a, b) => b[1] - a[1]);
    body.replaceChildren(...rows.map(([key, n]) => {
      const tr = el('tr');
      tr.append(el('th', null, config.labels[group][key] || key), el('td', null, String(n)));
      tr.firstChild.scope = 'row';
      return tr;
    }));
  }
}

function drawList(data) {
  const rows = data.list.items.map((item) => {
    const tr = el('tr');
    if (item.hidden) tr.className = 'is-hidden';
    const kind = el('td');
    kind.append(el('span', `kind-badge kind-${item.kind}`), document.createTextNode(config.labels.kind[item.kind]));
    kind.firstChild.setAttribute('aria-hidden', 'true');
    const text = el('td');
    const link = el('a', null, item.text);
    link.href = inputUrl(item.id);
    text.append(link);
    for (const [flag, word] of [['hidden', 'hidden'], ['redacted', 'redacted'], ['merged', 'merged']]) {
      if (item[flag]) text.append(' ', el('span', 'tag', config.text[word]));
    }
    const status = el('td');
    status.append(el('span', 'status-symbol', config.symbols[item.status] || ''),
      document.createTextNode(config.labels.status[item.status]));
    status.firstChild.setAttribute('aria-hidden', 'true');
    if (item.overdue) status.append(' ', el('span', 'tag overdue', `! ${config.text.overdue}`));
    tr.append(kind, text, el('td', null, config.labels.category[item.category] || item.category || ''),
      el('td', null, item.department ? (config.labels.department[item.department] || item.department) : '—'),
      status, el('td', null, fmt.format(new Date(item.created_at))));
    return tr;
  });
  if (!rows.length) {
    const tr = el('tr');
    const td = el('td', null, config.text.none);
    td.colSpan = 6;
    tr.append(td);
    rows.push(tr);
  }
  listBody.replaceChildren(...rows);
  document.getElementById('page-info').textContent =
    fill(config.text.page, { page: data.list.page, pages: data.list.pages });
  document.getElementById('page-prev').disabled = data.list.page <= 1;
  document.getElementById('page-next').disabled = data.list.page >= data.list.pages;
  state.page = data.list.page;
  for (const th of document.querySelectorAll('#review-list th[data-sort]')) {
    const key = th.dataset.sort;
    if (state.sort.replace('-', '') === key) {
      th.setAttribute('aria-sort', state.sort.startsWith('-') ? 'descending' : 'ascending');
    } else th.removeAttribute('aria-sort');
  }
}

function updateLinks(params) {
  const exportParams = new URLSearchParams(params);
  exportParams.set('lang', config.lang);
  if (document.getElementById('export-public').checked) exportParams.set('public', '1');
  for (const fmtName of ['geojson', 'csv']) {
    const link = document.getElementById(`export-${fmtName}`);
    link.href = `${link.pathname}?${exportParams}`;
  }
  const here = new URLSearchParams(params);
  const c = map.getCenter();
  here.set('at', `${c.lat.toFixed(5)},${c.lng.toFixed(5)},${map.getZoom()}`);
  if (state.sort !== '-created') here.set('sort', state.sort);
  if (state.page > 1) here.set('page', String(state.page));
  history.replaceState(null, '', `${window.location.pathname}?${here}`);
}

async function refresh() {
  const params = filterParams();
  const b = map.getBounds();
  const query = new URLSearchParams(params);
  const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  query.set('bbox', [clamp(b.getWest(), -180, 179.999), clamp(b.getSouth(), -89.999, 89),
    clamp(b.getEast(), -179.999, 180), clamp(b.getNorth(), -89, 89.999)].map((v) => v.toFixed(6)).join(','));
  query.set('zoom', String(map.getZoom()));
  query.set('sort', state.sort);
  query.set('page', String(state.page));
  if (state.controller) state.controller.abort();
  state.controller = new AbortController();
  const seq = ++state.seq;
  statusLine.textContent = config.text.loading;
  try {
    const resp = await fetch(`${config.data_url}?${query}`, { signal: state.controller.signal,
      headers: { Accept: 'application/json' } });
    const data = await resp.json();
    if (seq !== state.seq) return;
    if (!resp.ok) {
      errorLine.hidden = false;
      errorLine.textContent = `${config.text.error} ${data.error.message}`;
      statusLine.textContent = '';
      window.__reviewUpdates += 1;
      return;
    }
    errorLine.hidden = true;
    state.page = data.list.page;
    updateLinks(params);  // first: the detail links carry this address back to the map
    performance.mark('review-render-start');
    drawMap(data);
    drawCounts(data.counts);
    drawList(data);
    performance.measure('review-render', 'review-render-start');
    statusLine.textContent = fill(config.text.total, { n: data.total }) +
      (data.mode === 'clusters' ? ` ${config.text.clusters}` : '');
    window.__reviewLast = { mode: data.mode, total: data.total, points: data.points.length,
      clusters: data.clusters.length, items: data.list.items.length };
    window.__reviewUpdates += 1;
  } catch (err) {
    if (err.name !== 'AbortError') {
      errorLine.hidden = false;
      errorLine.textContent = `${config.text.error} ${err.message}`;
      window.__reviewUpdates += 1;
    }
  }
}

let timer = null;
function soon(delay = 250) {
  clearTimeout(timer);
  timer = setTimeout(refresh, delay);
}

form.addEventListener('submit', (e) => { e.preventDefault(); state.page = 1; refresh(); });
form.addEventListener('change', (e) => {
  if (e.target.id === 'export-public') { updateLinks(filterParams()); return; }
  state.page = 1;
  if (e.target.id === 'f-walk') fitFilter();  // its moveend refreshes
  soon(50);
});
document.getElementById('f-q').addEventListener('input', () => { state.page = 1; soon(400); });
document.getElementById('page-prev').addEventListener('click', () => { state.page -= 1; refresh(); });
document.getElementById('page-next').addEventListener('click', () => { state.page += 1; refresh(); });
for (const th of document.querySelectorAll('#review-list th[data-sort]')) {
  th.querySelector('button').addEventListener('click', () => {
    const key = th.dataset.sort;
    state.sort = state.sort === `-${key}` ? key : `-${key}`;
    state.page = 1;
    refresh();
  });
}
map.on('moveend', () => soon(150));
refresh();
