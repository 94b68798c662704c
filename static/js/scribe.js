// Scribe mode on the field app: an official's phone pinning for residents without a
// smartphone. The staff page (static/staff/handoff.js) stores a device token that the server
// bound to the official; this module shows that the phone is in scribe mode and ends it.
// Everything else (outbox, sync, feed) uses the token like any other: see sync.js.

import * as db from './db.js';
import { translateDom } from './i18n.js';

// Swap this phone's device for the official's. Refused while anything waits to be sent:
// it would otherwise go out as recorded by the official.
export async function adopt(device) {
  if ((await db.listOutbox()).length) return false;
  await db.setMeta('device', device);
  await db.setMeta('feed_cursor', null);
  return true;
}

// Back to an anonymous phone (a new device id is made on the next send).
export async function end() {
  if ((await db.listOutbox()).length) return false;
  await db.setMeta('device', null);
  await db.setMeta('feed_cursor', null);
  return true;
}

// Marks English msgids for extraction (`pybabel -k t`); translateDom translates them.
const t = (msgid) => msgid;

function text(tag, msgid, extra = {}) {
  const node = document.createElement(tag);
  node.textContent = msgid;
  node.dataset.t = msgid;  // i18n.translateDom puts it into the chosen language
  Object.assign(node, extra);
  return node;
}

export async function showBanner() {
  const holder = document.querySelector('.banners');
  const device = holder && await db.getMeta('device');
  if (!device || !device.scribe || document.getElementById('scribe-banner')) return;
  const section = document.createElement('section');
  section.id = 'scribe-banner';
  section.className = 'banner scribe';
  section.setAttribute('aria-labelledby', 'scribe-title');
  const p = document.createElement('p');
  const title = text('strong', t('Scribe mode'), { id: 'scribe-title' });
  const who = document.createElement('span');
  who.textContent = ` (${device.scribe.name}) `;
  p.append(title, who, text('span',
    t('You are pinning for a resident. Each pin is marked as recorded by you.')));
  const button = text('button', t('End scribe mode'), { type: 'button', className: 'secondary' });
  const note = text('p', t('Scribe mode ends once every pin is sent.'), { hidden: true });
  note.setAttribute('role', 'status');
  button.addEventListener('click', async () => {
    if (await end()) section.remove();
    else note.hidden = false;
  });
  section.append(p, button, note);
  holder.prepend(section);
  translateDom(section);
}

showBanner();
