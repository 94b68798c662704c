// Sending the outbox and fetching what the server says back. The outbox is the truth until
// the server acknowledges an item; nothing here ever drops an item the server did not accept.
//
// A round: comments (in batches; each result says which announced photos are still missing),
// then those photos one by one (a failed photo is retried alone), deletes, the route track,
// then the feed of our pins' statuses. Failures back off min(2^n, 300) s with jitter.
// Rounds run on save, on `online`, on start, when the app comes to the front, on a timer
// while anything is pending, from "Send now", and from Background Sync where it exists.
// Whether we are "online" is judged by reaching our server, never by navigator.onLine.

import * as api from './api.js';
import * as db from './db.js';
import { pullFeed } from './feed.js';
import * as outbox from './outbox.js';

const BATCH = 25;
const FEED_POLL_MS = 60000;
const DONE = new Set(['created', 'unchanged', 'updated']);

export const events = new EventTarget();
export const status = { running: false, reachable: null, failures: 0, next_at: null,
  last_sent_at: null, last_error: null };

let running = null;
let rerun = null;
let timer = null;
const channel = 'BroadcastChannel' in globalThis ? new BroadcastChannel('walkapp-sync') : null;

globalThis.__syncAttempts = globalThis.__syncAttempts || 0;

function changed(fromOtherTab = false) {
  events.dispatchEvent(new Event('change'));
  if (channel && !fromOtherTab) channel.postMessage('change');
}

async function deviceToken() {
  const device = await db.getMeta('device');
  if (device && device.token) return device.token;
  const fresh = await api.registerDevice();
  await db.setMeta('device', fresh);
  return fresh.token;
}

// On first contact (joining a walk while online) the phone gets its device token, so the
// first pin can go out at once. Best effort: without a network the first sync asks again.
export async function ensureDevice() {
  try {
    await withLock(deviceToken);
  } catch {
    // offline or refused for now: round() registers before it sends anything
  }
}

function item(pin) {
  return { id: pin.id, walk: pin.walk, kind: pin.kind, category: pin.category, text: pin.text,
    location: pin.location, accuracy_m: pin.accuracy_m ?? null, created_at: pin.created_at,
    photos: pin.photos || [] };
}

async function sendComments(token, entries) {
  for (let i = 0; i < entries.length; i += BATCH) {
    const chunk = [];
    for (const entry of entries.slice(i, i + BATCH)) {
      const pin = await db.getPin(entry.id);
      if (pin) chunk.push({ entry, pin });
      else await db.deleteEntry(entry.key);
    }
    if (!chunk.length) continue;
    await db.markAttempted(chunk.map((c) => c.pin.id));
    const { results } = await api.sync(token, chunk.map((c) => item(c.pin)));
    for (const [n, result] of results.entries()) {
      const { pin, entry } = chunk[n];
      if (DONE.has(result.status)) await db.pinAcked(pin.id, entry.rev, result);
      else await db.pinRejected(pin.id, entry.rev, result.errors || []);
    }
    changed();
  }
}

// One request per item; a refusal (4xx) is final for that item, a 5xx retries it alone;
// no answer at all means the server is out of reach: end the round.
async function each(entries, send, refused) {
  for (const entry of entries) {
    try {
      await send(entry);
    } catch (err) {
      if (!(err instanceof api.HttpError) || err.status === 401) throw err;
      if (err.status >= 500 || err.status === 429) await outbox.failed(entry, err);
      else await refused(entry, err);
    }
    changed();
  }
}

async function sendPhotos(token, entries) {
  await each(entries, async (e) => {
    const photo = await db.getPhoto(e.id);
    if (photo && photo.data) await api.putPhoto(token, e.pinId, e.id, photo.data, photo.type);
    await db.photoStored(e.id);
  }, (e, err) => outbox.refusedPhoto(e, err.code, err.message));
}

async function sendDeletes(token, entries) {
  await each(entries, async (e) => {
    try {
      await api.deleteComment(token, e.id);
    } catch (err) {
      if (!(err instanceof api.HttpError) || err.status !== 404) throw err;  // 404: gone already
    }
    await db.removePin(e.id);
  }, (e, err) => db.deleteRefused(e.id, err.code || err.message));
}

async function sendTracks(token, entries) {
  await each(entries, async (e) => {
    const track = await db.getTrack(e.id);
    if (track && track.points.length) await api.putTrack(token, track.walk, track.id, track.points);
    await db.trackSent(e.id, e.rev);
  }, (e, err) => db.updateEntry(e.key, { state: 'rejected', last_error: err.message }));
}

// Returns true if anything the resident sees may have changed.
async function round(force) {
  const work = outbox.due(await outbox.entries(), Date.now(), force);
  const some = Object.values(work).some((list) => list.length);
  // A phone that never sent anything needs no device id yet (and nothing to ask about).
  if (!some && !(await db.getMeta('device'))) return false;
  const token = await deviceToken();
  const before = work.comments.length + work.deletes.length;
  await sendComments(token, work.comments);
  // Re-read: acknowledged comments have just queued the photos the server still misses.
  const next = outbox.due(await outbox.entries(), Date.now(), force);
  await sendPhotos(token, next.photos);
  await sendDeletes(token, work.deletes);
  await sendTracks(token, work.tracks);
  const sent = before + next.photos.length + work.tracks.length > 0;
  if (sent) {
    status.last_sent_at = new Date().toISOString();
    await db.setMeta('last_sent_at', status.last_sent_at);
  }
  const news = await pullFeed(token);
  return sent || news;
}

async function attempt(force) {
  if (!force && status.failures > 0 && Date.now() < status.next_at) return;
  status.running = true;
  events.dispatchEvent(new Event('status'));
  let news = true;
  try {
    news = await round(force);
    Object.assign(status, { reachable: true, failures: 0, next_at: null, last_error: null });
  } catch (err) {
    if (err instanceof api.HttpError && err.status === 401) {
      // The server no longer knows this phone: register again on the next round.
      await db.setMeta('device', null);
      await db.setMeta('feed_cursor', null);
    }
    status.failures += 1;
    status.next_at = Date.now() + outbox.backoffDelay(status.failures);
    status.reachable = err instanceof api.HttpError;  // it answered, just not with success
    status.last_error = String(err && err.message);
  } finally {
    status.running = false;
    if (news) changed();
    globalThis.__syncAttempts += 1;  // tests wait on this, not on words in the page
    events.dispatchEvent(new Event('status'));
  }
}

async function withLock(fn) {
  // Two tabs (or a tab and Background Sync) must not send the same outbox at once.
  if (globalThis.navigator && navigator.locks) {
    return navigator.locks.request('walkapp-sync', fn);
  }
  return fn();
}

export function syncNow({ force = false } = {}) {
  if (running) {
    rerun = { force: force || Boolean(rerun && rerun.force) };
    return running;
  }
  running = (async () => {
    let f = force;
    for (;;) {
      await withLock(() => attempt(f));
      if (!rerun) break;
      f = rerun.force;
      rerun = null;
    }
  })().finally(() => {
    running = null;
    schedule();
  });
  return running;
}

// One timer: the next retry while anything is pending, else a slow poll for answers.
async function schedule() {
  clearTimeout(timer);
  const all = await outbox.entries();
  const entryAt = outbox.nextAttemptAt(all);
  let at;
  if (entryAt !== null) at = Math.max(entryAt, status.failures ? status.next_at : 0);
  else if (globalThis.document && document.visibilityState === 'visible') {
    at = Date.now() + FEED_POLL_MS;
  } else return;
  status.next_at = status.failures ? at : null;
  timer = setTimeout(() => syncNow(), Math.max(at - Date.now(), 250));
}

export async function requestBackgroundSync() {
  try {
    const reg = await navigator.serviceWorker.ready;
    if (reg.sync) await reg.sync.register('walkapp-outbox');
  } catch {
    // No Background Sync here (Safari, Firefox): the page's own triggers cover it.
  }
}

export async function start() {
  status.last_sent_at = (await db.getMeta('last_sent_at')) || null;
  addEventListener('online', () => syncNow({ force: true }));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') syncNow({ force: true });
  });
  if (channel) channel.onmessage = () => changed(true);
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.addEventListener('message', (e) => {
      if (!e.data || e.data.type !== 'sync') return;
      globalThis.__backgroundSyncs = (globalThis.__backgroundSyncs || 0) + 1;
      const port = e.ports && e.ports[0];
      syncNow({ force: true }).then(async () => {
        const left = outbox.summary(await outbox.entries());
        if (port) port.postMessage({ pending: left.pending });
      });
    });
  }
  syncNow({ force: true });
}
