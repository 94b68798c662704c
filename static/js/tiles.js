// Offline map for a walk: fetch every tile of the walk's area (bbox, zoom range and tile cap
// from the walk's `offline` block) into Cache Storage, where the service worker finds them.
// The tile cache is separate from the app shell's and survives app updates.

export const TILE_CACHE = 'walkapp-tiles-v1';  // the same name is in sw.js
const PARALLEL = 6;

export function lonLatToTile(lon, lat, z) {
  const n = 2 ** z;
  const clamped = Math.max(Math.min(lat, 85.0511), -85.0511);
  const rad = (clamped * Math.PI) / 180;
  const x = Math.floor(((lon + 180) / 360) * n);
  const y = Math.floor(((1 - Math.asinh(Math.tan(rad)) / Math.PI) / 2) * n);
  return { x: Math.min(Math.max(x, 0), n - 1), y: Math.min(Math.max(y, 0), n - 1) };
}

// Tiles covering bbox [west, south, east, north] from minZoom up; a zoom level that would
// pass maxTiles is left out entirely (a partial level would leave holes in the map).
export function tileList(bbox, minZoom, maxZoom, maxTiles) {
  const tiles = [];
  let capped = false;
  for (let z = minZoom; z <= maxZoom; z += 1) {
    const a = lonLatToTile(bbox[0], bbox[3], z);
    const b = lonLatToTile(bbox[2], bbox[1], z);
    const count = (b.x - a.x + 1) * (b.y - a.y + 1);
    if (tiles.length + count > maxTiles) { capped = true; break; }
    for (let x = a.x; x <= b.x; x += 1) {
      for (let y = a.y; y <= b.y; y += 1) tiles.push({ z, x, y });
    }
  }
  return { tiles, capped };
}

// The URL Leaflet will ask for, so the service worker's cache lookup matches it exactly.
export function tileUrl(template, { z, x, y }, base, subdomains = 'abc') {
  const s = subdomains[Math.abs(x + y) % subdomains.length];
  const path = template.replace('{s}', s).replace('{z}', z).replace('{x}', x)
    .replace('{y}', y).replace('{r}', '');
  return new URL(path, base).href;
}

export function plan(walk) {
  const off = walk.offline || {};
  if (!off.bbox) return { tiles: [], capped: false };
  return tileList(off.bbox, off.min_zoom, off.max_zoom, off.max_tiles);
}

// Downloads what is not cached yet; onProgress({done, total, bytes}). Returns the summary
// that is kept in the walk's meta for the "saved for offline use" note.
export async function download(walk, onProgress) {
  if (navigator.storage && navigator.storage.persist) {
    // Ask the browser not to evict us (iOS deletes unused sites' data after 7 days).
    try { await navigator.storage.persist(); } catch { /* not granted: still cache */ }
  }
  const { tiles, capped } = plan(walk);
  const cache = await caches.open(TILE_CACHE);
  const template = (walk.tiles && walk.tiles.url) || '/tiles/{z}/{x}/{y}.png';
  const base = location.origin;
  let done = 0;
  let bytes = 0;
  let failed = 0;
  const queue = tiles.slice();
  async function worker() {
    while (queue.length) {
      const url = tileUrl(template, queue.shift(), base);
      try {
        const have = await cache.match(url);
        if (have) {
          bytes += Number(have.headers.get('Content-Length')) || 0;
        } else {
          const same = new URL(url).origin === base;
          const resp = await fetch(url, same ? {} : { mode: 'no-cors' });
          if (!resp.ok && resp.type !== 'opaque') throw new Error(`HTTP ${resp.status}`);
          const body = await resp.clone().arrayBuffer();
          bytes += body.byteLength;
          await cache.put(url, resp);
        }
      } catch {
        failed += 1;
      }
      done += 1;
      onProgress({ done, total: tiles.length, bytes });
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return { total: tiles.length, failed, bytes, capped, at: new Date().toISOString() };
}
