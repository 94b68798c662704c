// A Leaflet map for staff pages: our own tiles (config in data attributes), never a CDN.
// Leaflet is the classic script /vendor/leaflet/leaflet.js (global L).

export const PALETTE = ['#0b4f8a', '#a4001d', '#2e6b00', '#7a3e9d', '#8a5a00', '#00667a',
  '#b3006b', '#4d4d4d'];

export function colourFor(id) {
  return PALETTE[Math.abs(Number(id) || 0) % PALETTE.length];
}

export function baseMap(el, options = {}) {
  const d = el.dataset;
  const map = L.map(el, { zoomControl: true, ...options });
  L.tileLayer(d.tileUrl, {
    minZoom: Number(d.minZoom || 5), maxZoom: Number(d.maxZoom || 18),
    attribution: d.attribution || '',
  }).addTo(map);
  // Sweden and Denmark until something is drawn.
  map.setView([57.0, 14.0], 6);
  return map;
}

// Fit the map to a layer, if it has anything in it.
export function fit(map, layer, maxZoom = 16) {
  const bounds = layer.getBounds && layer.getBounds();
  if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom });
}

export function readJson(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}
