// Service worker registration and updates. A new version never takes over by itself: the
// page says "update ready" and the resident chooses when (never in the middle of a walk).

import { t } from './i18n.js';
import { $ } from './ui.js';

export async function registerWorker(busy) {
  if (!('serviceWorker' in navigator)) return null;
  let reg;
  try {
    reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  } catch (err) {
    console.warn('walkapp: no service worker', err);
    return null;
  }
  const offer = () => {
    if (reg.waiting && navigator.serviceWorker.controller) $('update-banner').hidden = false;
  };
  const watch = (worker) => {
    if (worker) worker.addEventListener('statechange', () => { if (worker.state === 'installed') offer(); });
  };
  offer();
  watch(reg.installing);
  reg.addEventListener('updatefound', () => watch(reg.installing));
  let chosen = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (chosen) location.reload();  // the new version now answers: load its files
  });
  $('update-now').addEventListener('click', () => {
    if (busy() && !window.confirm(t('Update now? The pin you have not saved yet will be lost.'))) {
      return;
    }
    if (!reg.waiting) return;
    chosen = true;
    reg.waiting.postMessage({ type: 'skipWaiting' });
  });
  $('update-later').addEventListener('click', () => { $('update-banner').hidden = true; });
  // Look for a new version when the app comes back to the front.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') reg.update().catch(() => {});
  });
  return reg;
}
