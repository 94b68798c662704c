// The walk's map: Leaflet from our own /vendor/leaflet/, the walk area and route, the
// resident's position (dot + accuracy circle via watchPosition), pins and the draft pin.
// Leaflet is loaded as a classic script before the modules, so it is the global L.

const METRES_PER_DEGREE = 111320;
const GLYPH = { question: '?', opinion: '!', idea: '+' };

export class WalkMap {
  constructor(element, walk, { onLongPress, onTap, onPinOpen, onPinMoved, onPosition, onPositionError }) {
    this.walk = walk;
    this.handlers = { onLongPress, onTap, onPinOpen, onPinMoved, onPosition, onPositionError };
    this.markers = new Map();
    this.position = null;
    this.draft = null;
    const tiles = walk.tiles || {};
    this.map = L.map(element, { zoomControl: true, attributionControl: Boolean(tiles.attribution),
      minZoom: tiles.min_zoom || 3, maxZoom: tiles.max_zoom || 18, tapHold: true });
    if (this.map.attributionControl) this.map.attributionControl.setPrefix(false);
    L.tileLayer(tiles.url || '/tiles/{z}/{x}/{y}.png', { minZoom: tiles.min_zoom,
      maxZoom: tiles.max_zoom, attribution: tiles.attribution || '' }).addTo(this.map);
    const style = { color: '#0b4f8a', weight: 3, fillOpacity: 0.06, interactive: false };
    this.overlay = L.featureGroup().addTo(this.map);
    if (walk.area) L.geoJSON(walk.area, { style }).addTo(this.overlay);
    if (walk.route) {
      L.geoJSON(walk.route, { style: { color: '#7a1f9e', weight: 5, dashArray: '10 8',
        interactive: false } }).addTo(this.overlay);
    }
    this.fitWalk();
    this.map.on('contextmenu', (e) => this.handlers.onLongPress(e.latlng));
    this.map.on('click', (e) => this.handlers.onTap(e.latlng));
    this.dot = null;
    this.circle = null;
  }

  fitWalk() {
    const bounds = this.overlay.getBounds();
    const meet = this.walk.meeting_point && this.walk.meeting_point.location;
    if (bounds.isValid()) this.map.fitBounds(bounds, { padding: [16, 16] });
    else if (meet) this.map.setView([meet.coordinates[1], meet.coordinates[0]], 16);
    else this.map.setView([57.15, 15.27], 13);
  }

  // What a panel laid over the map hides: [right, bottom] in pixels (a bottom sheet on a
  // phone, a side panel on a wide screen).
  covered(cover) {
    if (!cover || cover.hidden) return [0, 0];
    const m = this.map.getContainer().getBoundingClientRect();
    const c = cover.getBoundingClientRect();
    if (c.left <= m.left + 1) return [0, Math.max(0, m.bottom - c.top)];
    return [Math.max(0, m.right - c.left), 0];
  }

  // The centre of the part of the map the resident can see.
  centre(cover) {
    const size = this.map.getSize();
    const [right, bottom] = this.covered(cover);
    const ll = this.map.containerPointToLatLng([Math.max(size.x - right, 40) / 2,
      Math.max(size.y - bottom, 40) / 2]);
    return { lat: ll.lat, lon: ll.lng };
  }

  reveal(point, cover) {
    const [right, bottom] = this.covered(cover);
    this.map.panInside([point.lat, point.lon], { paddingTopLeft: [24, 24],
      paddingBottomRight: [right + 24, bottom + 24] });
  }

  watchPosition() {
    if (!('geolocation' in navigator)) {
      this.handlers.onPositionError({ code: 2 });
      return;
    }
    navigator.geolocation.watchPosition((pos) => {
      const { latitude: lat, longitude: lon, accuracy } = pos.coords;
      this.position = { lat, lon, accuracy, at: new Date(pos.timestamp).toISOString() };
      const ll = [lat, lon];
      if (!this.dot) {
        this.circle = L.circle(ll, { radius: accuracy, color: '#1565c0', weight: 1,
          fillOpacity: 0.12, interactive: false }).addTo(this.map);
        this.dot = L.circleMarker(ll, { radius: 9, color: '#fff', weight: 3, fillColor: '#1565c0',
          fillOpacity: 1, interactive: false }).addTo(this.map);
      } else {
        this.circle.setLatLng(ll).setRadius(accuracy);
        this.dot.setLatLng(ll);
      }
      this.handlers.onPosition(this.position);
    }, (err) => this.handlers.onPositionError(err),
    { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 });
  }

  recentre() {
    if (this.position) {
      this.map.setView([this.position.lat, this.position.lon], Math.max(this.map.getZoom(), 17));
      return true;
    }
    this.fitWalk();
    return false;
  }

  // pins: [{pin, state, title, draggable}]
  setPins(items) {
    const seen = new Set();
    for (const { pin, state, title, draggable } of items) {
      seen.add(pin.id);
      const [lon, lat] = pin.location.coordinates;
      let marker = this.markers.get(pin.id);
      const icon = pinIcon(pin.kind, state);
      if (!marker) {
        marker = L.marker([lat, lon], { icon, title, alt: title, keyboard: true,
          draggable, autoPan: true, riseOnHover: true });
        marker.on('click', () => this.handlers.onPinOpen(pin.id));
        marker.on('dragend', () => {
          const ll = marker.getLatLng();
          this.handlers.onPinMoved(pin.id, { lat: ll.lat, lon: ll.lng });
        });
        marker.addTo(this.map);
        this.markers.set(pin.id, marker);
      } else {
        marker.setLatLng([lat, lon]);
        marker.options.title = title;  // setIcon re-applies the title from the options
        marker.options.alt = title;
        marker.setIcon(icon);
        if (draggable) marker.dragging.enable(); else marker.dragging.disable();
      }
    }
    for (const [id, marker] of this.markers) {
      if (!seen.has(id)) { marker.remove(); this.markers.delete(id); }
    }
  }

  focusPin(id) {
    const marker = this.markers.get(id);
    if (marker) this.map.panTo(marker.getLatLng());
  }

  // The pin being placed: big, draggable, moved by taps on the map or by the nudge buttons.
  showDraft(point, title, onMove, cover) {
    this.hideDraft();
    this.cover = cover;
    this.draft = L.marker([point.lat, point.lon], { icon: pinIcon('draft', 'draft'), title,
      alt: title, draggable: true, keyboard: false, zIndexOffset: 1000, autoPan: true });
    this.draft.on('dragend', () => onMove(this.draftPoint(), 'drag'));
    this.draft.addTo(this.map);
    this.reveal(point, cover);
  }

  moveDraft(point) {
    if (!this.draft) return;
    this.draft.setLatLng([point.lat, point.lon]);
    this.reveal(point, this.cover);
  }

  draftPoint() {
    const ll = this.draft.getLatLng();
    return { lat: ll.lat, lon: ll.lng };
  }

  hideDraft() {
    if (this.draft) this.draft.remove();
    this.draft = null;
  }

  invalidate() {
    this.map.invalidateSize();
  }
}

// A point moved by metres north/east (small distances; good enough for nudging a pin).
export function offset(point, north, east) {
  const dLat = north / METRES_PER_DEGREE;
  const dLon = east / (METRES_PER_DEGREE * Math.cos((point.lat * Math.PI) / 180));
  return { lat: point.lat + dLat, lon: point.lon + dLon };
}

function pinIcon(kind, state) {
  // A DOM node, not an HTML string: Leaflet would use innerHTML for a string.
  const node = document.createElement('span');
  node.className = 'pin-glyph';
  node.textContent = GLYPH[kind] || '+';
  const size = state === 'draft' ? 44 : 34;
  return L.divIcon({ html: node, className: `pin pin-${state}`, iconSize: [size, size],
    iconAnchor: [size / 2, size / 2] });
}
