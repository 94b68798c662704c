// Swedish, Danish and English from the server's one gettext catalogue (/i18n/<lang>.json).
// Write t("English text") so that `pybabel extract -k t` finds every string; English is the
// msgid, so an untranslated string still reads well. Placeholders look like {name}.

export const LANGUAGES = ['sv', 'da', 'en'];
let current = 'en';
let messages = {};

export function t(msgid, vars) {
  const text = messages[msgid] || msgid;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

export function language() {
  return current;
}

// The best language when the resident has not chosen one: the walk's municipality default,
// else the phone's own languages, else Swedish.
export function pickLanguage(chosen, walkDefault) {
  if (LANGUAGES.includes(chosen)) return chosen;
  if (LANGUAGES.includes(walkDefault)) return walkDefault;
  for (const tag of (globalThis.navigator && navigator.languages) || []) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'nb' || base === 'nn' || base === 'no') return 'da';  // closest we have
    if (LANGUAGES.includes(base)) return base;
  }
  return 'sv';
}

export async function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) lang = 'sv';
  let loaded = {};
  if (lang !== 'en') {
    try {
      const resp = await fetch(`/i18n/${lang}.json`);
      if (resp.ok) loaded = await resp.json();
    } catch {
      // Offline and not cached yet: English msgids keep the app usable.
    }
  }
  messages = loaded;
  current = lang;
  document.documentElement.lang = lang;
  translateDom(document);
  return lang;
}

// Elements marked data-t keep their English text as the msgid (remembered on first pass);
// data-t-<attribute>="msgid" translates that attribute.
export function translateDom(root) {
  for (const el of root.querySelectorAll('[data-t]')) {
    if (!el.dataset.t) el.dataset.t = el.textContent.trim();
    el.textContent = t(el.dataset.t);
  }
  for (const el of root.querySelectorAll('[data-t-aria-label]')) {
    el.setAttribute('aria-label', t(el.dataset.tAriaLabel));
  }
}

// A label from the server's {sv, da, en} object, in the current language.
export function label(labels, fallback = '') {
  if (!labels) return fallback;
  return labels[current] || labels.en || labels.sv || fallback;
}

export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
}

export function formatDateTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(locale(), { dateStyle: 'long', timeStyle: 'short' });
}

function locale() {
  return { sv: 'sv-SE', da: 'da-DK', en: 'en-GB' }[current];
}
