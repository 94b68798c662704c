// Unit tests of the field app's pure logic, run with Node's own test runner:
//   node --experimental-detect-module --test tests/js/
// (tests/js/test_js_units.py runs this from pytest when node is installed.)
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { label, pickLanguage, t } from '../../static/js/i18n.js';
import { offset } from '../../static/js/map.js';
import { backoffDelay, due, nextAttemptAt, pinState, summary } from '../../static/js/outbox.js';
import { lonLatToTile, tileList, tileUrl } from '../../static/js/tiles.js';

test('backoff is min(2^n, 300) s with equal jitter', () => {
  assert.equal(backoffDelay(1, () => 0), 1000);
  assert.equal(backoffDelay(1, () => 1), 2000);
  assert.equal(backoffDelay(5, () => 1), 32000);
  assert.equal(backoffDelay(9, () => 1), 300000);  // 512 s is capped
  assert.equal(backoffDelay(30, () => 0), 150000);
  for (let n = 1; n < 12; n += 1) {
    const d = backoffDelay(n);
    assert.ok(d >= Math.min(2 ** n, 300) * 500 && d <= Math.min(2 ** n, 300) * 1000);
  }
});

const entry = (kind, id, extra = {}) => ({ key: `${kind}:${id}`, kind, id, state: 'pending',
  next_at: 0, ...extra });

test('due: comments before photos, backoff respected unless forced', () => {
  const all = [entry('photo', 'p1', { pinId: 'a' }), entry('comment', 'a'),
    entry('comment', 'b', { next_at: 5000 }), entry('comment', 'c', { state: 'rejected' }),
    entry('delete', 'd'), entry('track', 't')];
  const now = due(all, 1000);
  assert.deepEqual(now.comments.map((e) => e.id), ['a']);
  assert.deepEqual(now.photos.map((e) => e.id), ['p1']);
  assert.deepEqual(now.deletes.map((e) => e.id), ['d']);
  assert.deepEqual(now.tracks.map((e) => e.id), ['t']);
  assert.deepEqual(due(all, 1000, true).comments.map((e) => e.id), ['a', 'b']);
  assert.equal(nextAttemptAt(all), 0);
  assert.equal(nextAttemptAt([entry('comment', 'x', { next_at: 7 })]), 7);
  assert.equal(nextAttemptAt([entry('comment', 'x', { state: 'rejected' })]), null);
});

test('summary counts pins, not entries; tracks and quiet deletes are not pins', () => {
  const all = [entry('comment', 'a'), entry('photo', 'p1', { pinId: 'b' }),
    entry('photo', 'p2', { pinId: 'b' }), entry('comment', 'c', { state: 'rejected' }),
    entry('delete', 'd', { quiet: true }), entry('track', 't')];
  assert.deepEqual(summary(all), { waiting: 2, rejected: 1, tracks: 1, pending: true });
  assert.deepEqual(summary([]), { waiting: 0, rejected: 0, tracks: 0, pending: false });
});

test('pin states: waiting -> sent -> routed -> status/answered; rejected stays', () => {
  const pin = { id: 'a' };
  assert.equal(pinState(pin, [entry('comment', 'a')]), 'waiting');
  assert.equal(pinState({ ...pin, rejected: [{ code: 'walk_closed' }] },
    [entry('comment', 'a', { state: 'rejected' })]), 'rejected');
  assert.equal(pinState(pin, [entry('photo', 'p', { pinId: 'a' })]), 'photos_waiting');
  assert.equal(pinState(pin, [entry('photo', 'p', { pinId: 'a', state: 'rejected' })]),
    'photo_rejected');
  assert.equal(pinState({ ...pin, server: { status: 'received' } }, []), 'sent');
  assert.equal(pinState({ ...pin, server: { status: 'routed', department: { name: 'X' } } }, []),
    'routed');
  assert.equal(pinState({ ...pin, server: { status: 'in_progress' } }, []), 'status');
  assert.equal(pinState({ ...pin, server: { status: 'done', responses: [{ text: 'ok' }] } }, []),
    'answered');
});

test('tiles: the list covers the bbox per zoom and stops before the cap', () => {
  // The same numbers as walkapp.geo.lonlat_to_tile / tiles_in_bbox on the server
  // (tests/test_tiles.py::test_tile_maths_agree_with_the_phone checks that side).
  assert.deepEqual(lonLatToTile(15.27, 57.15, 14), { x: 8886, y: 5006 });
  const bbox = [15.255, 57.137, 15.285, 57.163];
  const { tiles, capped } = tileList(bbox, 13, 15, 1000);
  assert.equal(capped, false);
  assert.deepEqual([13, 14, 15].map((z) => tiles.filter((tl) => tl.z === z).length), [2, 6, 20]);
  const z15 = tiles.filter((tl) => tl.z === 15);
  assert.ok(z15.length > tiles.filter((tl) => tl.z === 13).length);
  const small = tileList(bbox, 13, 15, z15.length);
  assert.equal(small.capped, true);
  assert.ok(small.tiles.every((tl) => tl.z < 15));
  assert.equal(tileUrl('/tiles/{z}/{x}/{y}.png', { z: 1, x: 0, y: 1 }, 'http://h:1'),
    'http://h:1/tiles/1/0/1.png');
  assert.equal(tileUrl('https://{s}.t.example/{z}/{x}/{y}{r}.png', { z: 2, x: 1, y: 1 },
    'http://h'), 'https://c.t.example/2/1/1.png');  // Leaflet's subdomain choice
});

test('i18n: placeholders, fallbacks, language choice', () => {
  assert.equal(t('Waiting to send: {n}', { n: 3 }), 'Waiting to send: 3');
  assert.equal(t('{a} and {b}', { a: 1 }), '1 and {b}');
  assert.equal(label({ sv: 'Vägar', en: 'Roads' }), 'Roads');  // current language is en
  assert.equal(pickLanguage('da', 'sv'), 'da');
  assert.equal(pickLanguage(null, 'sv'), 'sv');
  assert.equal(pickLanguage('xx', 'nope'), pickLanguage(null, null));
});

test('nudging a pin moves it about 10 m', () => {
  const p = offset({ lat: 57.15, lon: 15.27 }, 10, 0);
  assert.ok(Math.abs((p.lat - 57.15) * 111320 - 10) < 0.01);
  const q = offset({ lat: 57.15, lon: 15.27 }, 0, 10);
  assert.ok(Math.abs((q.lon - 15.27) * 111320 * Math.cos((57.15 * Math.PI) / 180) - 10) < 0.01);
});
