// The start page (type a walk code, or pick a walk already on this phone) and the invitation
// to add the app to the home screen (needed on iOS to keep the data beyond 7 days).

import * as db from './db.js';
import { formatDateTime, pickLanguage, setLanguage, t } from './i18n.js';
import { $, el } from './ui.js';

const CODE_RE = /^[A-Za-z0-9]{3,16}$/;

export async function startPage() {
  const params = new URLSearchParams(location.search);
  const standalone = matchMedia('(display-mode: standalone)').matches;
  const last = await db.getMeta('last_walk');
  if (last && (standalone || params.get('source') === 'pwa')) {
    location.replace(`/w/${encodeURIComponent(last)}`);  // opened from the home screen
    return;
  }
  await setLanguage(pickLanguage(await db.getMeta('lang'), null));
  $('lang').value = document.documentElement.lang;
  $('start-view').hidden = false;
  $('join-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const code = $('join-code').value.trim().toUpperCase();
    const error = $('join-error');
    if (!CODE_RE.test(code)) {
      error.textContent = t('The code has 3 to 16 letters or digits, for example ASEDA7.');
      error.hidden = false;
      $('join-code').setAttribute('aria-invalid', 'true');
      $('join-code').focus();
      return;
    }
    location.assign(`/w/${code}`);
  });
  const walks = (await db.listWalks()).sort((a, b) => (a.starts_at < b.starts_at ? 1 : -1));
  $('known').hidden = !walks.length;
  $('known-walks').replaceChildren(...walks.map((w) => el('li', {},
    el('a', { href: `/w/${encodeURIComponent(w.join_code)}` }, w.title),
    el('span', { class: 'meta' },
      ` · ${w.locality || ''} ${w.starts_at ? formatDateTime(w.starts_at) : ''}`))));
}

let installPrompt = null;

export function wireInstall(inWalk) {
  addEventListener('beforeinstallprompt', (e) => {
    e.preventDefault();  // we ask at a calmer moment, in our own words
    installPrompt = e;
    if (inWalk()) showInstallInvite();
  });
  $('install-now').addEventListener('click', async () => {
    $('install-banner').hidden = true;
    if (installPrompt) await installPrompt.prompt();
    installPrompt = null;
  });
  $('install-later').addEventListener('click', async () => {
    $('install-banner').hidden = true;
    await db.setMeta('install_dismissed', true);
  });
}

export async function showInstallInvite() {
  try {
    if (matchMedia('(display-mode: standalone)').matches || navigator.standalone) return;
    if (await db.getMeta('install_dismissed')) return;
    const ios = /iphone|ipad|ipod/i.test(navigator.userAgent);
    if (!installPrompt && !ios) return;
    $('install-ios').hidden = !ios || Boolean(installPrompt);
    $('install-now').hidden = !installPrompt;
    $('install-banner').hidden = false;
  } finally {
    globalThis.__installChecks = (globalThis.__installChecks || 0) + 1;  // a signal for tests
  }
}
