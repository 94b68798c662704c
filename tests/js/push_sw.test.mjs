// The service worker's notification part (static/js/push-sw.js), run in a sandbox that plays
// the browser: a pushed message becomes a notification, a tap opens the pin.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import vm from 'node:vm';

const SOURCE = readFileSync(new URL('../../static/js/push-sw.js', import.meta.url), 'utf8');

function worker(pages = []) {
  const handlers = {};
  // Objects made inside the sandbox have its prototypes: compare them as plain JSON.
  const log = { shown: [], opened: [], focused: [], messages: [] };
  const plain = (value) => JSON.parse(JSON.stringify(value));
  const self = {
    location: { origin: 'https://walk.example.org' },
    addEventListener: (type, fn) => { handlers[type] = fn; },
    registration: { showNotification: async (title, options) => log.shown.push(plain({ title, ...options })) },
    clients: {
      matchAll: async () => pages.map((url) => ({
        url,
        focus: async () => log.focused.push(url),
        postMessage: (msg) => log.messages.push(plain({ page: url, msg })),
      })),
      openWindow: async (url) => log.opened.push(url),
    },
  };
  vm.runInNewContext(SOURCE, { self, URL });
  const fire = async (type, event) => {
    let done;
    handlers[type]({ ...event, waitUntil: (p) => { done = p; } });
    await done;
  };
  return { fire, log };
}

const push = (message) => ({ data: { json: () => message, text: () => JSON.stringify(message) } });
const tap = (url) => ({ notification: { data: { url }, close: () => {} } });

test('a pushed message becomes a notification, one per pin', async () => {
  const { fire, log } = worker();
  await fire('push', push({ title: 'Nytt om ditt inspel', body: 'Klart: Lagat.', lang: 'sv',
    url: '/w/ASEDA7?pin=abc', tag: 'walkapp-abc' }));
  assert.deepEqual(log.shown, [{ title: 'Nytt om ditt inspel', body: 'Klart: Lagat.',
    tag: 'walkapp-abc', lang: 'sv', icon: '/static/icons/icon-192.png',
    data: { url: '/w/ASEDA7?pin=abc' } }]);
});

test('a push without a readable payload still shows something', async () => {
  const { fire, log } = worker();
  await fire('push', { data: { json: () => { throw new Error('not JSON'); }, text: () => 'hej' } });
  assert.equal(log.shown[0].title, 'walkapp');
  assert.equal(log.shown[0].body, 'hej');
});

test('a tap tells an open page of the walk to show the pin', async () => {
  const { fire, log } = worker(['https://walk.example.org/w/ASEDA7', 'https://walk.example.org/']);
  await fire('notificationclick', tap('/w/ASEDA7?pin=abc'));
  assert.deepEqual(log.focused, ['https://walk.example.org/w/ASEDA7']);
  assert.deepEqual(log.messages, [{ page: 'https://walk.example.org/w/ASEDA7',
    msg: { type: 'open-pin', url: 'https://walk.example.org/w/ASEDA7?pin=abc' } }]);
  assert.deepEqual(log.opened, []);
});

test('with no page of that walk open, a tap opens the app on the pin', async () => {
  const { fire, log } = worker(['https://walk.example.org/w/OTHER1']);
  await fire('notificationclick', tap('/w/ASEDA7?pin=abc'));
  assert.deepEqual(log.opened, ['https://walk.example.org/w/ASEDA7?pin=abc']);
});

test('a link to another site is never opened', async () => {
  const { fire, log } = worker([]);
  await fire('notificationclick', tap('https://evil.example.com/w/ASEDA7'));
  assert.deepEqual(log.opened, []);
});
