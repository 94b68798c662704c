/* walkapp service worker, part 2: answer notifications (imported by /sw.js).
 *
 * push: the server's message ({title, body, url, tag, lang}, already in the resident's
 *   language) becomes a notification; one tag per pin, so a newer notice replaces an older.
 * notificationclick: open the pin — tell an open page of that walk to show it, else open
 *   /w/<CODE>?pin=<id> (static/js/notify.js reads it). Only our own pages are ever opened.
 */
self.addEventListener('push', (event) => {
  let msg = {};
  try {
    msg = event.data ? event.data.json() : {};
  } catch {
    msg = { body: event.data ? event.data.text() : '' };
  }
  event.waitUntil(self.registration.showNotification(msg.title || 'walkapp', {
    body: msg.body || '',
    tag: msg.tag || 'walkapp',
    lang: msg.lang || '',
    icon: '/static/icons/icon-192.png',
    data: { url: msg.url || '/' },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL((event.notification.data && event.notification.data.url) || '/',
    self.location.origin);
  if (url.origin !== self.location.origin) return;
  event.waitUntil((async () => {
    const pages = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const same = pages.find((page) => new URL(page.url).pathname === url.pathname);
    if (same) {
      await same.focus();
      same.postMessage({ type: 'open-pin', url: url.href });
      return;
    }
    await self.clients.openWindow(url.href);
  })());
});
