// The queue over db.js: what is waiting, what is due, and when to try again. No DOM, no
// network. Entries are keyed by client UUID ("comment:<id>", "photo:<id>", "delete:<id>",
// "track:<id>"); an entry leaves only when the server has acknowledged it.

import * as db from './db.js';

export const MAX_BACKOFF_S = 300;

// min(2^n, 300) seconds after the n-th failure, with "equal jitter" (half fixed, half random)
// so phones that lost signal together do not all come back at the same second.
export function backoffDelay(failures, random = Math.random) {
  const ceiling = Math.min(2 ** Math.max(failures, 0), MAX_BACKOFF_S) * 1000;
  return ceiling / 2 + random() * (ceiling / 2);
}

export async function entries() {
  return db.listOutbox();
}

// Entries that may be sent now, comments first: a photo needs its comment on the server.
export function due(all, now = Date.now(), force = false) {
  const ready = all.filter((e) => e.state === 'pending' && (force || (e.next_at || 0) <= now));
  const of = (kind) => ready.filter((e) => e.kind === kind);
  return { comments: of('comment'), photos: of('photo'), deletes: of('delete'),
    tracks: of('track') };
}

// When the earliest pending entry may be tried again (null: nothing pending).
export function nextAttemptAt(all) {
  const times = all.filter((e) => e.state === 'pending').map((e) => e.next_at || 0);
  return times.length ? Math.min(...times) : null;
}

export function failed(entry, error, now = Date.now()) {
  const attempts = (entry.attempts || 0) + 1;
  return db.updateEntry(entry.key, { attempts, next_at: now + backoffDelay(attempts),
    last_error: String(error && error.message ? error.message : error) });
}

export function refusedPhoto(entry, code, message) {
  return db.updateEntry(entry.key, { state: 'rejected', code, last_error: message });
}

// Counts for the indicator: pins with anything still to send, and pins the server refused.
export function summary(all) {
  const waiting = new Set();
  const rejected = new Set();
  for (const e of all) {
    const pin = e.kind === 'photo' ? e.pinId : e.id;
    if (e.kind === 'track' || e.quiet) continue;
    if (e.state === 'rejected') rejected.add(pin);
    else waiting.add(pin);
  }
  for (const id of rejected) waiting.delete(id);
  const tracks = all.filter((e) => e.kind === 'track' && e.state === 'pending').length;
  return { waiting: waiting.size, rejected: rejected.size, tracks,
    pending: all.some((e) => e.state === 'pending') };
}

// Where a pin stands, from its record and the outbox: the state the resident sees.
export function pinState(pin, all) {
  const mine = all.filter((e) => e.id === pin.id || e.pinId === pin.id);
  const rejectedPhoto = mine.find((e) => e.kind === 'photo' && e.state === 'rejected');
  if (pin.rejected && pin.rejected.length) return 'rejected';
  if (mine.some((e) => e.kind === 'comment' || e.kind === 'delete')) return 'waiting';
  if (rejectedPhoto) return 'photo_rejected';
  if (mine.some((e) => e.kind === 'photo')) return 'photos_waiting';
  const server = pin.server || {};
  if (server.responses && server.responses.length) return 'answered';
  if (server.status && !['received', 'routed'].includes(server.status)) return 'status';
  if (server.department) return 'routed';
  return 'sent';
}
