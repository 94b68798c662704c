// Service areas on a map, coloured by department; the table beside it is the list
// alternative. Clicking an area opens its page.
import { baseMap, colourFor, fit, readJson } from './basemap.js';

const el = document.getElementById('areas-map');
const data = readJson('areas-data');
if (el && data) {
  const map = baseMap(el);
  const all = L.featureGroup().addTo(map);
  if (data.boundary) {
    L.geoJSON(data.boundary, { style: { color: '#111', weight: 2, fill: false, dashArray: '6 4' },
      interactive: false }).addTo(all);
  }
  L.geoJSON(data, {
    style: (f) => ({ color: colourFor(f.properties.department_id), weight: 2, fillOpacity: 0.15 }),
    onEachFeature: (f, layer) => {
      const box = document.createElement('div');
      const link = document.createElement('a');
      link.href = f.properties.url || '#';
      link.textContent = f.properties.name;
      const dept = document.createElement('div');
      dept.textContent = f.properties.department || '';
      box.append(link, dept);
      layer.bindPopup(box);
    },
  }).addTo(all);
  fit(map, all, 15);
  window.__mapReady = true;
}
