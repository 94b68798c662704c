// "Answers to my pins" in the More panel: opt-in notifications when a pin gets an answer
// (Web Push on this phone, and/or an e-mail address given for that one purpose), the
// resident's "Erase my data", and opening a pin from a notification (?pin=<id>, or a message
// from the service worker's static/js/push-sw.js). The walk page calls init() once and
// render() after a language change; nothing else here touches the rest of the app.

import * as api from './api.js';
import * as db from './db.js';
import { language, t } from './i18n.js';
import { ensureDevice } from './sync.js';
import { $, announce } from './ui.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const state = { me: null, busy: false };

export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in globalThis && 'Notification' in globalThis;
}

// VAPID keys travel as base64url; PushManager.subscribe wants the bytes.
export function base64UrlToBytes(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

// The pin a notification link points at: /w/<CODE>?pin=<uuid>.
export function pinFromUrl(href) {
  const id = new URL(href, 'http://x').searchParams.get('pin');
  return id && UUID.test(id) ? id.toLowerCase() : null;
}

async function token() {
  await ensureDevice();
  const device = await db.getMeta('device');
  if (!device || !device.token) throw new api.NetworkError('no device token yet');
  return device.token;
}

// The service worker, or a clear failure: `ready` never settles where it did not register.
function worker() {
  return Promise.race([navigator.serviceWorker.ready, new Promise((_, reject) => {
    setTimeout(() => reject(new Error('no service worker')), 10000);
  })]);
}

function say(text) {
  $('notify-status').textContent = text;
  announce(text);
}

function failed(err) {
  say(err instanceof api.NetworkError
    ? t('No connection. Try again when you are online.')
    : t('That did not work. Try again later.'));
}

export function render() {
  const me = state.me || {};
  const button = $('notify-push');
  const note = $('notify-push-status');
  if (!pushSupported()) {
    button.hidden = true;
    note.textContent = t('This browser cannot show notifications from the app. You can get an e-mail instead.');
  } else {
    button.hidden = false;
    button.textContent = me.push ? t('Stop notifications on this phone') : t('Tell me on this phone');
    if (me.push) note.textContent = t('Notifications are on for this phone.');
    else if (Notification.permission === 'denied') {
      note.textContent = t('Notifications are blocked for this app in the browser settings.');
    } else note.textContent = '';
  }
  if (me.contact_email && document.activeElement !== $('notify-email')) {
    $('notify-email').value = me.contact_email;
  }
  $('notify-email-remove').hidden = !me.contact_email;
}

async function busy(fn) {
  if (state.busy) return;
  state.busy = true;
  try {
    await fn();
    await db.setMeta('me', state.me);  // shown as it was when the phone is offline
  } catch (err) {
    failed(err);
  } finally {
    state.busy = false;
    render();
  }
}

async function subscribe() {
  const reg = await worker();
  const { public_key: key } = await api.pushKey();
  const sub = await reg.pushManager.subscribe({ userVisibleOnly: true,
    applicationServerKey: base64UrlToBytes(key) });
  state.me = await api.putPush(await token(), sub.toJSON(), language());
  await db.setMeta('push_endpoint', sub.endpoint);
}

async function togglePush() {
  if (state.me && state.me.push) {
    const reg = await worker().catch(() => null);
    const sub = reg && await reg.pushManager.getSubscription();
    if (sub) await sub.unsubscribe();
    await api.deletePush(await token());
    state.me = { ...state.me, push: false };
    await db.setMeta('push_endpoint', null);
    say(t('Notifications are off for this phone.'));
    return;
  }
  if (await Notification.requestPermission() !== 'granted') {
    say(t('Notifications are blocked for this app in the browser settings.'));
    return;
  }
  await subscribe();
  say(t('Done. This phone will tell you when your pins get an answer.'));
}

// A browser may renew its subscription: keep the server's copy the one it uses now.
async function keepSubscription() {
  if (!pushSupported() || !state.me || !state.me.push || Notification.permission !== 'granted') {
    return;
  }
  const reg = await worker();
  const sub = await reg.pushManager.getSubscription();
  if (!sub) await subscribe();
  else if (sub.endpoint !== await db.getMeta('push_endpoint')) {
    state.me = await api.putPush(await token(), sub.toJSON(), language());
    await db.setMeta('push_endpoint', sub.endpoint);
  }
}

function showEmailError(text) {
  const error = $('notify-email-error');
  error.textContent = text;
  error.hidden = !text;
  $('notify-email').setAttribute('aria-invalid', String(Boolean(text)));
}

async function saveEmail(event) {
  event.preventDefault();
  const email = $('notify-email').value.trim();
  if (!email) {
    showEmailError(t('Write your e-mail address.'));
    return;
  }
  await busy(async () => {
    try {
      state.me = await api.putEmail(await token(), email, language());
    } catch (err) {
      if (err instanceof api.HttpError && err.status === 400) {
        showEmailError(t('This does not look like an e-mail address we can write to.'));
        $('notify-email').focus();
        return;
      }
      throw err;
    }
    showEmailError('');
    say(t('Saved. We send an e-mail when your pins get an answer.'));
  });
}

async function removeEmail() {
  await busy(async () => {
    await api.deleteEmail(await token());
    state.me = { ...state.me, contact_email: null };
    $('notify-email').value = '';
    say(t('The address is removed.'));
  });
}

async function eraseMe() {
  if (!window.confirm(t('Erase your data? Your address, notifications, recorded routes and the pins no official has looked at yet are deleted from the server and from this phone. Pins already reviewed stay as public records, with no link to you.'))) {
    return;
  }
  await busy(async () => {
    const device = await db.getMeta('device');
    if (device && device.token) await api.eraseMe(device.token);
    const reg = pushSupported() ? await worker().catch(() => null) : null;
    const sub = reg && await reg.pushManager.getSubscription();
    if (sub) await sub.unsubscribe().catch(() => {});
    state.me = null;
    await db.eraseAll();
    say(t('Your data is erased.'));
    location.reload();
  });
}

export async function init(open) {
  $('notify-push').addEventListener('click', () => busy(togglePush));
  $('notify-email-form').addEventListener('submit', saveEmail);
  $('notify-email-remove').addEventListener('click', removeEmail);
  $('erase-me').addEventListener('click', eraseMe);
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.addEventListener('message', (e) => {
      if (e.data && e.data.type === 'open-pin') {
        const id = pinFromUrl(e.data.url);
        if (id) open(id);
      }
    });
  }
  const id = pinFromUrl(location.href);
  if (id) {
    history.replaceState(history.state, '', location.pathname);  // a reload opens the walk
    open(id);
  }
  state.me = await db.getMeta('me');
  render();
  if (await db.getMeta('device')) {  // a phone that never sent anything has nothing to show
    try {
      state.me = await api.getMe(await token());
      await db.setMeta('me', state.me);
      await keepSubscription();
    } catch {
      // offline: the panel works once the network is back
    }
    render();
  }
  globalThis.__notifyReady = true;  // tests wait on this
}
