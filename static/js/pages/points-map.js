// Maps of numbered points on server-rendered pages (inbox, public results). The list beside
// each map shows the same points and is the accessible alternative; the map only helps.
// Leaflet comes from our own /vendor/leaflet/ as a classic deferred script (the global L).
// Data is read from a JSON block; user-written text never reaches the map, and what does
// (numbers, labels) is set with textContent only. Not part of the PWA's precached shell.

const AREA_STYLE = { color: '#0b4f8a', weight: 3, fillOpacity: 0.05, interactive: false };

function icon(point) {
  const el = document.createElement('span');
  el.className = 'pin-label';
  el.textContent = point.n == null ? '' : String(point.n);
  if (point.flag) {
    // The flag is a shape and a symbol as well as a colour (WCAG 1.4.1).
    const mark = document.createElement('span');
    mark.className = 'pin-mark';
    mark.textContent = point.flag === 'overdue' ? '!' : '✓';
    el.append(mark);
  }
  return L.divIcon({ className: `pin pin-${point.flag || 'plain'}`, html: el,
    iconSize: [34, 34], iconAnchor: [17, 17], popupAnchor: [0, -16] });
}

function popup(point) {
  const link = document.createElement('a');
  link.href = point.url;
  link.textContent = point.title;
  return link;
}

function draw(el) {
  const data = JSON.parse(document.getElementById(el.dataset.pointsMap).textContent);
  const minZoom = Number(el.dataset.minZoom) || 3;
  const maxZoom = Number(el.dataset.maxZoom) || 18;
  const map = L.map(el, { minZoom, maxZoom, scrollWheelZoom: false,
    attributionControl: Boolean(el.dataset.attribution) });
  if (map.attributionControl) map.attributionControl.setPrefix(false);
  L.tileLayer(el.dataset.tiles, { minZoom, maxZoom, attribution: el.dataset.attribution || '' })
    .addTo(map);
  const area = data.area ? L.geoJSON(data.area, { style: AREA_STYLE }).addTo(map) : null;
  const pins = L.featureGroup().addTo(map);
  for (const point of data.points) {
    L.marker([point.lat, point.lon], { icon: icon(point), title: point.title, keyboard: true })
      .bindPopup(() => popup(point)).addTo(pins);
  }
  // Close enough to tell the pins apart; the walk's area only when there are none.
  const bounds = pins.getLayers().length ? pins.getBounds() : area && area.getBounds();
  if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [28, 28], maxZoom: 17 });
  else map.setView([57.15, 15.27], 12);
  el.dataset.ready = String(data.points.length); // tests wait on this, not on a timer
}

for (const el of document.querySelectorAll('[data-points-map]')) draw(el);
