// The walk form's map: draw the area (polygon/rectangle), the planned route (line) and the
// meeting point (marker) with Leaflet-Geoman; each shape is mirrored into the form's
// text fields (GeoJSON, latitude/longitude), and typing there redraws the map, so either
// way of working gives the same result. The server checks everything again.
import { baseMap, fit } from './basemap.js';

const $ = (id) => document.getElementById(id);
const el = $('walk-map');
const STYLE = { area: { color: '#0b4f8a', weight: 3, fillOpacity: 0.12 },
  route: { color: '#a4001d', weight: 4, dashArray: '8 6' } };

function parse(text) {
  if (!text || !text.trim()) return null;
  try {
    const doc = JSON.parse(text);
    if (doc.type === 'FeatureCollection') return doc.features.length === 1 ? doc.features[0].geometry : null;
    return doc.type === 'Feature' ? doc.geometry : doc;
  } catch {
    return null;
  }
}

function start() {
  const map = baseMap(el);
  const lang = document.documentElement.lang;
  if (['sv', 'da', 'en'].includes(lang)) map.pm.setLang(lang);
  map.pm.addControls({
    position: 'topleft', drawMarker: true, drawPolygon: true, drawPolyline: true,
    drawRectangle: true, drawCircle: false, drawCircleMarker: false, drawText: false,
    cutPolygon: false, rotateMode: false, editMode: true, dragMode: true, removalMode: true,
  });
  // Geoman titles the button's container, not the button: give each button its name.
  for (const a of el.querySelectorAll('.leaflet-buttons-control-button')) {
    const holder = a.closest('[title]');
    if (holder) a.setAttribute('aria-label', holder.title);
  }
  const layers = { area: null, route: null, meeting: null };
  const fields = { area: $('area'), route: $('route') };
  const lat = $('meeting_lat');
  const lon = $('meeting_lon');

  function summary() {
    // The words come from the page (data-*), translated by the server.
    const out = $('map-summary');
    const parts = [];
    if (parse(fields.area.value)) parts.push(out.dataset.area);
    if (parse(fields.route.value)) parts.push(out.dataset.route);
    if (lat.value && lon.value) parts.push(out.dataset.meeting);
    out.textContent = parts.length ? parts.join(' · ') : out.dataset.none;
  }

  function writeBack(kind) {
    const layer = layers[kind];
    if (kind === 'meeting') {
      const ll = layer ? layer.getLatLng() : null;
      lat.value = ll ? ll.lat.toFixed(6) : '';
      lon.value = ll ? ll.lng.toFixed(6) : '';
    } else {
      fields[kind].value = layer ? JSON.stringify(layer.toGeoJSON().geometry) : '';
    }
    summary();
  }

  function put(kind, layer) {
    if (layers[kind] && layers[kind] !== layer) map.removeLayer(layers[kind]);
    layers[kind] = layer;
    if (!layer) return;
    layer.on('pm:edit pm:dragend', () => writeBack(kind));
    layer.on('pm:remove', () => { layers[kind] = null; writeBack(kind); });
  }

  function draw(kind) {
    const geometry = kind === 'meeting'
      ? (lat.value && lon.value && !Number.isNaN(Number(lat.value)) && !Number.isNaN(Number(lon.value))
        ? { type: 'Point', coordinates: [Number(lon.value), Number(lat.value)] } : null)
      : parse(fields[kind].value);
    if (!geometry) {
      put(kind, null);
      summary();
      return;
    }
    let layer;
    try {
      if (kind === 'meeting') layer = L.marker([geometry.coordinates[1], geometry.coordinates[0]]);
      else layer = L.geoJSON(geometry, { style: STYLE[kind] }).getLayers()[0];
    } catch {
      return;  // not drawable (e.g. malformed coordinates): the server will say why
    }
    if (!layer) return;
    layer.addTo(map);
    put(kind, layer);
    summary();
  }

  map.on('pm:create', (e) => {
    const kind = e.shape === 'Marker' ? 'meeting' : e.shape === 'Line' ? 'route' : 'area';
    if (kind !== 'meeting') e.layer.setStyle(STYLE[kind]);
    put(kind, e.layer);
    writeBack(kind);
  });

  for (const kind of ['area', 'route']) fields[kind].addEventListener('change', () => draw(kind));
  for (const input of [lat, lon]) input.addEventListener('change', () => draw('meeting'));
  draw('area');
  draw('route');
  draw('meeting');

  const drawn = L.featureGroup(Object.values(layers).filter(Boolean));
  if (drawn.getLayers().length) fit(map, drawn, 16);
  else if (el.dataset.boundary) {
    const [w, s, e, n] = JSON.parse(el.dataset.boundary);
    map.fitBounds([[s, w], [n, e]]);
  }
  window.__walkMap = map;  // tests wait on this, not on pixels
}

if (el) {
  // Leaflet and Geoman are classic deferred scripts: they have run before modules do.
  start();
}
