// The live view of an open walk: ask for changes since the cursor every few seconds (only
// while the page is visible), put each input on the map and at the top of the list, keep the
// count. A plain poll, so no connection stays open on the server. Text is set with
// textContent only.
import { baseMap, fit, readJson } from './basemap.js';

const $ = (id) => document.getElementById(id);
const el = $('live-map');
const SYMBOL = { question: '?', opinion: '!', idea: '★' };
const fill = (template, values) => template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));

const state = { cursor: null, items: new Map(), markers: new Map(), timer: null, failures: 0 };
let map;

function icon(item) {
  return L.divIcon({ className: `live-pin kind-${item.kind}`, html: '', iconSize: [28, 28] });
}

function render(item) {
  const list = $('live-list');
  let li = document.getElementById(`live-${item.id}`);
  if (!li) {
    li = document.createElement('li');
    li.id = `live-${item.id}`;
    li.tabIndex = -1;
  }
  li.replaceChildren();
  const head = document.createElement('p');
  const strong = document.createElement('strong');
  strong.textContent = `${item.kind_label} · ${item.category}`;
  head.append(strong, ` · ${item.time}`);
  const text = document.createElement('p');
  text.textContent = item.text;
  const meta = document.createElement('p');
  meta.className = 'hint';
  const bits = [item.status];
  if (item.department) bits.push(item.department);
  if (item.photos) bits.push(fill(list.dataset.photos, { n: item.photos }));
  if (item.recorded_by) bits.push(fill(list.dataset.scribe, { name: item.recorded_by }));
  if (item.hidden) bits.push(list.dataset.hidden);
  meta.textContent = bits.join(' · ');
  li.append(head, text, meta);
  list.prepend(li);  // newest change first

  let marker = state.markers.get(item.id);
  if (!marker) {
    marker = L.marker([item.lat, item.lon], { icon: icon(item), title: `${item.kind_label}: ${item.text}`.slice(0, 120) });
    marker.addTo(map);
    state.markers.set(item.id, marker);
  } else {
    marker.setLatLng([item.lat, item.lon]);
    marker.setIcon(icon(item));
  }
  const symbol = marker.getElement();
  if (symbol) symbol.textContent = SYMBOL[item.kind] || '•';
  marker.off('click').on('click', () => li.focus());
}

function showCount(total) {
  const node = $('live-count');
  node.textContent = total === 1 ? node.dataset.one : fill(node.dataset.many, { n: total });
  $('live-empty').hidden = total > 0;
}

async function poll() {
  clearTimeout(state.timer);
  const url = new URL(el.dataset.feed, location.href);
  if (state.cursor) url.searchParams.set('since', state.cursor);
  try {
    const resp = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (resp.status === 401 || resp.redirected) { location.reload(); return; }
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    const body = await resp.json();
    for (const item of body.comments) {
      state.items.set(item.id, item);
      render(item);
    }
    state.cursor = body.cursor;
    if (state.items.size > body.total) {
      // Something was deleted (a resident withdrew a pin): start again from the beginning.
      for (const m of state.markers.values()) m.remove();
      state.items.clear(); state.markers.clear(); state.cursor = null;
      $('live-list').replaceChildren();
      state.timer = setTimeout(poll, 0);
      return;
    }
    showCount(body.total);
    state.failures = 0;
    const status = $('live-status');
    status.textContent = fill(status.dataset.ok, { time: body.as_of });
    window.__livePolls = (window.__livePolls || 0) + 1;  // tests wait on this
    if (body.has_more) { state.timer = setTimeout(poll, 0); return; }
  } catch {
    state.failures += 1;
    $('live-status').textContent = $('live-status').dataset.error;
  }
  const delay = Number(el.dataset.pollMs) * Math.min(2 ** state.failures, 12);
  if (document.visibilityState === 'visible') state.timer = setTimeout(poll, delay);
}

if (el) {
  map = baseMap(el);
  const shapes = readJson('walk-shapes') || {};
  const drawn = L.featureGroup().addTo(map);
  if (shapes.area) L.geoJSON(shapes.area, { style: { color: '#0b4f8a', weight: 2, fillOpacity: 0.06 }, interactive: false }).addTo(drawn);
  if (shapes.route) L.geoJSON(shapes.route, { style: { color: '#a4001d', weight: 3, dashArray: '8 6' }, interactive: false }).addTo(drawn);
  fit(map, drawn, 16);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') poll();
    else clearTimeout(state.timer);
  });
  poll();
}
