// The one IndexedDB module: it owns the database name, version, stores and upgrades, and
// exports domain functions only. Rules: photos are ArrayBuffer + MIME type (Safari has failed
// to keep Blobs), written in the same transaction as their pin; never await the network
// inside a transaction (it would auto-commit under us).

const NAME = 'walkapp';
const VERSION = 1;

// Stepwise: a phone may skip versions, so each step upgrades from the one before it.
function upgrade(db, oldVersion) {
  if (oldVersion < 1) {
    db.createObjectStore('meta');                              // key -> any value
    db.createObjectStore('walks', { keyPath: 'join_code' });   // the walk, kept for offline use
    db.createObjectStore('pins', { keyPath: 'id' }).createIndex('walk', 'walk');
    db.createObjectStore('photos', { keyPath: 'id' }).createIndex('pin', 'pinId');
    db.createObjectStore('outbox', { keyPath: 'key' });       // what the server has not acked
    db.createObjectStore('tracks', { keyPath: 'id' });
  }
}

let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(NAME, VERSION);
      req.onupgradeneeded = (e) => upgrade(req.result, e.oldVersion);
      req.onsuccess = () => {
        const db = req.result;
        // A newer tab (after an app update) wants to upgrade: step aside, reopen on next use.
        db.onversionchange = () => { db.close(); opening = null; };
        resolve(db);
      };
      req.onerror = () => { opening = null; reject(req.error); };
      req.onblocked = () => console.warn('walkapp: database upgrade waits for another tab');
    });
  }
  return opening;
}

// Run fn(stores) in one transaction; resolves with fn's result once the transaction has
// committed (so "saved" means on disk), rejects if it aborts.
async function run(names, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode, { durability: 'strict' });
    const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
    let result;
    tx.oncomplete = () => resolve(result);
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
    tx.onerror = () => {};  // onabort follows
    Promise.resolve(fn(stores, tx)).then((r) => { result = r; }, (err) => {
      try { tx.abort(); } catch { /* already finished */ }
      reject(err);
    });
  });
}

const req = (r) => new Promise((resolve, reject) => {
  r.onsuccess = () => resolve(r.result);
  r.onerror = () => reject(r.error);
});

// --- meta and walks --------------------------------------------------------------------

export const getMeta = (key) => run(['meta'], 'readonly', (s) => req(s.meta.get(key)));
export const setMeta = (key, value) => run(['meta'], 'readwrite', (s) => { s.meta.put(value, key); });

export const saveWalk = (walk) => run(['walks'], 'readwrite', (s) => {
  s.walks.put({ ...walk, saved_at: new Date().toISOString() });
});
export const getWalk = (code) => run(['walks'], 'readonly', (s) => req(s.walks.get(code)));
export const listWalks = () => run(['walks'], 'readonly', (s) => req(s.walks.getAll()));

// --- pins and their photos ---------------------------------------------------------------

export const getPin = (id) => run(['pins'], 'readonly', (s) => req(s.pins.get(id)));
export const listPins = (walk) => run(['pins'], 'readonly',
  (s) => req(walk ? s.pins.index('walk').getAll(walk) : s.pins.getAll()));
export const getPhoto = (id) => run(['photos'], 'readonly', (s) => req(s.photos.get(id)));
export const listPhotos = (pinId) => run(['photos'], 'readonly',
  (s) => req(s.photos.index('pin').getAll(pinId)));

// Save a new or edited pin with its new photos, and queue it, in one transaction.
// Returns the stored pin (its rev tells a later ack which version the server saw).
export function savePin(pin, newPhotos = [], removedPhotoIds = []) {
  return run(['pins', 'photos', 'outbox'], 'readwrite', async (s) => {
    const old = await req(s.pins.get(pin.id));
    const stored = {
      ...old, ...pin,
      rev: (old ? old.rev : 0) + 1,
      rejected: null,
      updated_at: new Date().toISOString(),
    };
    s.pins.put(stored);
    for (const p of newPhotos) s.photos.put({ ...p, pinId: pin.id, stored: false });
    for (const id of removedPhotoIds) {
      s.photos.delete(id);
      s.outbox.delete(`photo:${id}`);
    }
    s.outbox.put({ key: `comment:${pin.id}`, kind: 'comment', id: pin.id, rev: stored.rev,
      attempts: 0, next_at: 0, state: 'pending' });
    return stored;
  });
}

// The server acknowledged (created/unchanged/updated) the version `rev` of a pin: it leaves
// the outbox unless it was edited since; photos the server still misses are queued.
export function pinAcked(id, rev, result) {
  return run(['pins', 'photos', 'outbox'], 'readwrite', async (s) => {
    const pin = await req(s.pins.get(id));
    if (!pin) return;
    const entry = await req(s.outbox.get(`comment:${id}`));
    if (entry && entry.rev === rev) s.outbox.delete(entry.key);
    const missing = new Set(result.missing_photos || []);
    for (const photoId of pin.photos || []) {
      const photo = await req(s.photos.get(photoId));
      if (missing.has(photoId)) {
        if (!(await req(s.outbox.get(`photo:${photoId}`)))) {
          s.outbox.put({ key: `photo:${photoId}`, kind: 'photo', id: photoId, pinId: id,
            attempts: 0, next_at: 0, state: 'pending' });
        }
      } else if (photo && !photo.stored && entry && entry.rev === rev) {
        s.photos.put({ ...photo, stored: true, data: null });  // the server has it already
      }
    }
    s.pins.put({
      ...pin, sent: true,
      server: { ...(pin.server || {}), status: result.comment_status,
        department: result.department, editable: pin.server ? pin.server.editable : true },
    });
  });
}

export function pinRejected(id, rev, errors) {
  return run(['pins', 'outbox'], 'readwrite', async (s) => {
    const pin = await req(s.pins.get(id));
    const entry = await req(s.outbox.get(`comment:${id}`));
    if (!pin || !entry || entry.rev !== rev) return;  // edited meanwhile: send the new version
    s.outbox.put({ ...entry, state: 'rejected' });
    s.pins.put({ ...pin, rejected: errors });
  });
}

// Before a request leaves: remember the pin may exist on the server (a lost response).
export const markAttempted = (ids) => run(['pins'], 'readwrite', async (s) => {
  for (const id of ids) {
    const pin = await req(s.pins.get(id));
    if (pin && !pin.attempted) s.pins.put({ ...pin, attempted: true });
  }
});

export function photoStored(photoId) {
  return run(['photos', 'outbox'], 'readwrite', async (s) => {
    s.outbox.delete(`photo:${photoId}`);
    const photo = await req(s.photos.get(photoId));
    // The full-size bytes are on the server now; keep the thumbnail for the list.
    if (photo) s.photos.put({ ...photo, stored: true, data: null });
  });
}

// Forget a pin here: after the server deleted it, or when it never left the phone. With
// tombstone, a quiet DELETE stays queued: a request with the pin went out but its answer
// never came, so the server may have it after all (it answers 404 if not).
export function removePin(id, { tombstone = false } = {}) {
  return run(['pins', 'photos', 'outbox'], 'readwrite', async (s) => {
    const pin = await req(s.pins.get(id));
    for (const photoId of (pin && pin.photos) || []) {
      s.photos.delete(photoId);
      s.outbox.delete(`photo:${photoId}`);
    }
    s.outbox.delete(`comment:${id}`);
    s.outbox.delete(`delete:${id}`);
    s.pins.delete(id);
    if (tombstone) {
      s.outbox.put({ key: `delete:${id}`, kind: 'delete', id, attempts: 0, next_at: 0,
        state: 'pending', quiet: true });
    }
  });
}

// The pin may be on the server: hide it and queue a DELETE (nothing else about it is sent).
export function queueDelete(id) {
  return run(['pins', 'outbox'], 'readwrite', async (s) => {
    const pin = await req(s.pins.get(id));
    if (!pin) return;
    for (const photoId of pin.photos || []) s.outbox.delete(`photo:${photoId}`);
    s.outbox.delete(`comment:${id}`);
    s.pins.put({ ...pin, deleting: true });
    s.outbox.put({ key: `delete:${id}`, kind: 'delete', id, attempts: 0, next_at: 0,
      state: 'pending' });
  });
}

// Give up a local edit the server refused (reviewed meanwhile): back to the server's copy.
export function revertPin(id) {
  return run(['pins', 'outbox'], 'readwrite', async (s) => {
    const pin = await req(s.pins.get(id));
    const content = pin && pin.server && pin.server.content;
    if (!content) return;
    s.outbox.delete(`comment:${id}`);
    s.pins.put({ ...pin, ...content, rejected: null });
  });
}

// The server refused the delete (already reviewed): show the pin again with the reason.
export function deleteRefused(id, reason) {
  return run(['pins', 'outbox'], 'readwrite', async (s) => {
    s.outbox.delete(`delete:${id}`);
    const pin = await req(s.pins.get(id));
    if (pin) s.pins.put({ ...pin, deleting: false, notice: reason });
  });
}

// What the server says about our pins (status, department, answers). Local edits that are
// still waiting are kept; a pin we are deleting stays hidden.
export function applyFeed(comments) {
  return run(['pins'], 'readwrite', async (s) => {
    for (const c of comments) {
      const pin = await req(s.pins.get(c.id));
      const server = { status: c.status, department: c.department, editable: c.editable,
        responses: c.responses, changed_at: c.changed_at,
        photos: c.photos, content: { kind: c.kind, category: c.category, text: c.text,
          location: c.location } };
      if (pin) {
        s.pins.put({ ...pin, sent: true, server });
      } else {
        s.pins.put({ id: c.id, walk: c.walk, kind: c.kind, category: c.category, text: c.text,
          location: c.location, accuracy_m: c.accuracy_m, created_at: c.created_at,
          photos: [], rev: 0, sent: true, attempted: true, server });
      }
    }
  });
}

// --- the outbox --------------------------------------------------------------------------

export const listOutbox = () => run(['outbox'], 'readonly', (s) => req(s.outbox.getAll()));

export const updateEntry = (key, changes) => run(['outbox'], 'readwrite', async (s) => {
  const entry = await req(s.outbox.get(key));
  if (entry) s.outbox.put({ ...entry, ...changes });
});

export const deleteEntry = (key) => run(['outbox'], 'readwrite', (s) => { s.outbox.delete(key); });

// --- tracks ------------------------------------------------------------------------------

export const getTrack = (id) => run(['tracks'], 'readonly', (s) => req(s.tracks.get(id)));

// Store the track as it grows; with queue, also (re)queue its upload (the PUT is idempotent
// and sends the whole track, so one entry per track is enough).
export function saveTrack(track, queue) {
  return run(['tracks', 'outbox'], 'readwrite', async (s) => {
    const old = await req(s.tracks.get(track.id));
    const rev = (old ? old.rev : 0) + 1;
    s.tracks.put({ ...track, rev });
    if (queue) {
      s.outbox.put({ key: `track:${track.id}`, kind: 'track', id: track.id, walk: track.walk,
        rev, attempts: 0, next_at: 0, state: 'pending' });
    }
    return rev;
  });
}

export const trackSent = (id, rev) => run(['outbox'], 'readwrite', async (s) => {
  const entry = await req(s.outbox.get(`track:${id}`));
  if (entry && entry.rev === rev) s.outbox.delete(entry.key);
});

// --- erasure ------------------------------------------------------------------------------

// The resident erased their data on the server (DELETE /devices/me): forget it here too —
// pins, photos, the outbox, routes, the device token and feed position. Saved walks stay
// (nothing personal in them).
export const eraseAll = () => run(['meta', 'pins', 'photos', 'outbox', 'tracks'], 'readwrite',
  (s) => {
    for (const store of ['pins', 'photos', 'outbox', 'tracks']) s[store].clear();
    for (const key of ['device', 'feed_cursor', 'last_sent_at', 'push_endpoint', 'me']) {
      s.meta.delete(key);
    }
  });
