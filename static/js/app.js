// The resident's field app: wiring of the walk page (map, add pin, my pins, panels), the
// always-visible sync indicator, the language switcher, and boot.

import * as api from './api.js';
import * as db from './db.js';
import { formatTime, pickLanguage, setLanguage, t } from './i18n.js';
import { WalkMap } from './map.js';
import * as notify from './notify.js';
import * as outbox from './outbox.js';
import * as panels from './panels.js';
import { describe, editable, renderList } from './pins.js';
import { PinSheet } from './sheet.js';
import { showInstallInvite, startPage, wireInstall } from './start.js';
import * as sync from './sync.js';
import { TrackRecorder } from './track.js';
import { $, announce } from './ui.js';
import { registerWorker } from './worker.js';

const app = { walk: null, map: null, sheet: null, pins: [], entries: [], position: null,
  recorder: null };

// --- the sync indicator: "Waiting to send: 3 · last sent 10:42" / "All sent" -------------

async function refreshIndicator() {
  app.entries = await outbox.entries();
  const sum = outbox.summary(app.entries);
  const last = sync.status.last_sent_at;
  let text;
  if (sum.waiting) {
    text = t('Waiting to send: {n}', { n: sum.waiting });
    // (No t() inside template literals: the extractor does not look there.)
    if (last) text += ' · ' + t('last sent {time}', { time: formatTime(last) });
    if (sync.status.reachable === false) text += ' · ' + t('no connection, will try again');
  } else if (sum.rejected) {
    text = t('Needs your attention: {n}', { n: sum.rejected });
  } else {
    text = t('All sent');
  }
  const node = $('indicator');
  if (node.textContent !== text) node.textContent = text;
  node.dataset.state = sum.waiting ? 'waiting' : sum.rejected ? 'rejected' : 'done';
  $('send-now').hidden = !sum.waiting;
  $('storage-warning').hidden = !sum.waiting;
}

// --- pins on the map and in the list --------------------------------------------------------

async function refreshPins() {
  if (!app.walk) return;
  app.pins = (await db.listPins(app.walk.join_code)).filter((p) => !p.deleting)
    .sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  app.map.setPins(app.pins.map((pin) => {
    const state = outbox.pinState(pin, app.entries);
    return { pin, state, title: describe(app.walk, pin, state, app.entries),
      draggable: editable(pin) };
  }));
  $('list-empty').hidden = app.pins.length > 0;
  // Keep the keyboard focus where it was when the list is drawn again.
  const active = document.activeElement;
  const item = active && active.closest && active.closest('.pin-item');
  const again = item && (active.dataset.action ? `#${item.id} [data-action=${active.dataset.action}]`
    : `#${item.id}`);
  await renderList($('pin-list'), app.walk, app.pins, app.entries, {
    show: (id) => showOnMap(id), edit: (id) => editPin(id), remove: (id) => removePin(id),
    revert: async (id) => { await db.revertPin(id); refresh(); } });
  if (again && document.querySelector(again)) document.querySelector(again).focus();
}

let refreshing = null;
let dirty = false;

// Coalesced: many sync events in a row draw once or twice, never interleaved.
function refresh() {
  if (refreshing) {
    dirty = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      dirty = false;
      await refreshIndicator();
      await refreshPins();
    } while (dirty);
  })().finally(() => { refreshing = null; });
  return refreshing;
}

// Something was queued: show it, try to send now, and let Background Sync retry if we can't.
function kick() {
  refresh();
  sync.syncNow({ force: true });
  sync.requestBackgroundSync();
}

function openPanel(id) {
  for (const [panel, button] of [['list-panel', 'show-list'], ['more-panel', 'show-more']]) {
    $(panel).hidden = panel !== id;
    $(button).setAttribute('aria-expanded', String(panel === id));
  }
  if (id) {
    if (app.sheet.isOpen) app.sheet.close();
    const heading = $(id).querySelector('h2');
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
  app.map.invalidate();
}

function closePanel(id) {
  openPanel(null);
  $(id === 'list-panel' ? 'show-list' : 'show-more').focus();
}

function showOnMap(id) {
  openPanel(null);
  app.map.focusPin(id);
  const marker = app.map.markers.get(id);
  if (marker && marker.getElement()) marker.getElement().focus();
}

// The pin's entry in "My pins": its status and answers.
function openPin(id) {
  openPanel('list-panel');
  const item = $(`pin-${id}`);
  if (item) item.focus();
}

function addPin(point) {
  openPanel(null);
  if (point) return app.sheet.open({ point, source: 'map' });
  if (app.position) {
    const { lat, lon, accuracy } = app.position;
    return app.sheet.open({ point: { lat, lon }, source: 'gps', accuracy });
  }
  return app.sheet.open({ point: app.map.centre(), source: 'nofix' });
}

async function editPin(id) {
  const pin = await db.getPin(id);
  if (!pin) return;
  openPanel(null);
  app.map.focusPin(id);
  await app.sheet.open({ pin });
}

async function removePin(id) {
  const pin = await db.getPin(id);
  if (!pin || !window.confirm(t('Delete this pin?'))) return;
  if (pin.sent) {
    await db.queueDelete(id);  // the server has it: ask it to delete (until reviewed)
  } else {
    // Never acknowledged: it leaves the phone now. If a request with it ever went out, a
    // quiet DELETE follows in case the server got it and only the answer was lost.
    await db.removePin(id, { tombstone: Boolean(pin.attempted) });
  }
  announce(t('The pin is deleted.'));
  $('show-list').focus();
  if (pin.attempted || pin.sent) kick();
  else refresh();
}

let persistAsked = false;

async function savePin(pin, photos, removed) {
  await db.savePin(pin, photos, removed);
  db.setMeta('last_walk', pin.walk);
  if (!persistAsked && navigator.storage && navigator.storage.persist) {
    persistAsked = true;  // there is something to keep now: ask not to be evicted
    navigator.storage.persist().catch(() => {});
  }
}

function afterSave(saved) {
  $('add-pin').focus();
  if (!saved) return;
  announce(t('Saved on this phone. It is sent as soon as there is a connection.'));
  kick();
}

async function movePin(id, point) {
  const pin = await db.getPin(id);
  if (!pin) return;
  await db.savePin({ ...pin, location: { type: 'Point', coordinates: [point.lon, point.lat] },
    accuracy_m: null });
  announce(t('The pin was moved.'));
  kick();
}

// --- the walk page ---------------------------------------------------------------------------

// The saved copy opens at once (offline too); the server's copy refreshes it quietly.
async function loadWalk(code) {
  const saved = await db.getWalk(code);
  const fetching = api.getWalk(code).then(async (fresh) => {
    await db.saveWalk(fresh);
    return fresh;
  });
  if (saved) {
    fetching.catch(() => {});
    return saved;
  }
  try {
    return await fetching;
  } catch (err) {
    const msg = err instanceof api.HttpError && err.status === 404
      ? t('No walk has the code {code}.', { code })
      : t('The walk could not be loaded. Connect to the internet once to open it; after that it works without signal.');
    $('walk-error').textContent = msg;
    $('walk-error').hidden = false;
    return null;
  }
}

function onPosition(pos) {
  app.position = pos;
  $('position-note').hidden = true;
  if (app.recorder) app.recorder.add(pos);
}

function onPositionError(err) {
  if (app.position && err.code !== 1) return;  // a timeout after a good fix: keep the fix
  $('position-note').textContent = err.code === 1
    ? t('The app may not use your location. Place pins by tapping the map or with the buttons in the form.')
    : t('Looking for your position…');
  $('position-note').hidden = false;
}

function mapHandlers() {
  const place = (ll) => ({ lat: ll.lat, lon: ll.lng });
  return {
    onLongPress: (ll) => (app.sheet.isOpen ? app.sheet.moveTo(place(ll), 'map') : addPin(place(ll))),
    onTap: (ll) => { if (app.sheet.isOpen) app.sheet.moveTo(place(ll), 'map'); },
    onPinOpen: openPin,
    onPinMoved: movePin,
    onPosition,
    onPositionError,
  };
}

function wireWalkPage() {
  $('add-pin').addEventListener('click', () => addPin(null));
  $('show-list').addEventListener('click', () => openPanel($('list-panel').hidden ? 'list-panel' : null));
  $('show-more').addEventListener('click', () => openPanel($('more-panel').hidden ? 'more-panel' : null));
  $('recentre').addEventListener('click', () => {
    if (!app.map.recentre()) announce(t('Your position is not known yet.'));
  });
  for (const b of document.querySelectorAll('[data-close]')) {
    b.addEventListener('click', () => closePanel(b.dataset.close));
  }
  for (const id of ['list-panel', 'more-panel']) {
    $(id).addEventListener('keydown', (e) => { if (e.key === 'Escape') closePanel(id); });
  }
  $('offline-download').addEventListener('click', () => panels.downloadTiles(app.walk));
  $('track-toggle').addEventListener('click', () => panels.toggleTrack(app.recorder, app.position));
}

async function walkPage(code) {
  $('walk-view').hidden = false;
  const walk = await loadWalk(code);
  if (!walk) {
    for (const b of $('walk-view').querySelectorAll('.toolbar button')) b.disabled = true;
    $('map').hidden = true;
    return;
  }
  app.walk = walk;
  sync.ensureDevice();  // first contact; not awaited: the map must not wait for it
  await db.setMeta('last_walk', walk.join_code);
  await setLanguage(pickLanguage(await db.getMeta('lang'), walk.municipality.default_language));
  $('lang').value = document.documentElement.lang;
  panels.renderWalkFacts(walk);
  // A closed walk takes no new pins (the server would refuse them); the old ones stay.
  $('add-pin').disabled = walk.status === 'closed';
  app.map = new WalkMap($('map'), walk, mapHandlers());
  app.sheet = new PinSheet({ walk, map: app.map, position: () => app.position,
    onSave: savePin, onClose: afterSave });
  app.recorder = new TrackRecorder(walk.join_code, (queued) => {
    panels.renderTrack(app.recorder);
    if (queued) kick();
  });
  await app.recorder.load();
  panels.renderTrack(app.recorder);
  wireWalkPage();
  app.map.watchPosition();
  await panels.renderOffline(walk);
  await refresh();
  notify.init(openPin);
  showInstallInvite();
}

// --- boot --------------------------------------------------------------------------------------

async function changeLanguage(lang) {
  await db.setMeta('lang', lang);
  await setLanguage(lang);
  if (app.walk) {
    panels.renderWalkFacts(app.walk);
    panels.renderTrack(app.recorder);
    await panels.renderOffline(app.walk);
    app.sheet.relabel();
    notify.render();
  }
  await refresh();
}

async function boot() {
  $('lang').addEventListener('change', (e) => changeLanguage(e.target.value));
  $('send-now').addEventListener('click', () => {
    announce(t('Sending…'));
    sync.syncNow({ force: true });
  });
  wireInstall(() => Boolean(app.walk));
  registerWorker(() => app.sheet && app.sheet.isOpen);
  sync.events.addEventListener('change', () => refresh());
  sync.events.addEventListener('status', () => refreshIndicator());
  const match = location.pathname.match(/^\/w\/([^/]+)\/?$/);
  if (match) await walkPage(decodeURIComponent(match[1]).toUpperCase());
  else await startPage();
  await refreshIndicator();
  await sync.start();
}

boot();
