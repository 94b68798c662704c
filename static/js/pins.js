// "My pins": the list alternative to the map, with each pin's state in words:
// waiting to send -> sent -> routed to <department> -> status and public answers.

import { formatDateTime, label, t } from './i18n.js';
import { pinState } from './outbox.js';
import { thumbUrl } from './photos.js';
import { el } from './ui.js';
import * as db from './db.js';

export function kindLabel(kind) {
  return { question: t('Question'), opinion: t('Opinion'), idea: t('Idea') }[kind] || kind;
}

export function categoryLabel(walk, slug) {
  const cat = ((walk && walk.categories) || []).find((c) => c.slug === slug);
  return cat ? label(cat.labels, slug) : slug;
}

// Why the server refused something, in the resident's language when we know the code.
export function reasonText(code, message) {
  const known = {
    unknown_walk: t('This walk no longer exists.'),
    unknown_category: t('This topic is no longer available. Choose another topic.'),
    walk_closed: t('The walk was closed before this pin was made.'),
    already_reviewed: t('An official has already looked at this pin, so it can no longer be changed or deleted.'),
    conflict: t('This pin clashes with one sent from another phone.'),
    too_large: t('The photo is too large.'),
    unsupported_media_type: t('The photo is not in a format the server can read.'),
  };
  return known[code] || message || t('The server did not accept it.');
}

function rejection(pin) {
  const errors = pin.rejected || [];
  return errors.map((e) => reasonText(e.code, e.message)).join(' ');
}

function departmentName(pin) {
  const dept = pin.server && pin.server.department;
  return dept ? dept.name : '';
}

export function statusText(status, department) {
  const d = department || t('the municipality');
  return {
    received: t('Received'),
    routed: t('Sent to {department}', { department: d }),
    acknowledged: t('{department} has seen it', { department: d }),
    in_progress: t('{department} is working on it', { department: d }),
    done: t('Done'),
    not_ours: t('Being passed on to the right department'),
    duplicate: t('Already reported by someone else'),
    noted: t('Noted and taken into account'),
  }[status] || status;
}

// The state in words, for the list, the map pin's name and the screen reader.
export function stateText(pin, state, entries) {
  switch (state) {
    case 'waiting': return pin.deleting ? t('Waiting to be deleted') : t('Waiting to send');
    case 'rejected': return t('Not accepted: {reason}', { reason: rejection(pin) });
    case 'photos_waiting': return t('Sent – photos waiting to send');
    case 'photo_rejected': {
      const e = entries.find((x) => x.pinId === pin.id && x.state === 'rejected');
      return t('A photo was not accepted: {reason}',
        { reason: reasonText(e && e.code, e && e.last_error) });
    }
    case 'sent': return t('Sent');
    default: return statusText(pin.server.status, departmentName(pin));
  }
}

// May the resident still change it? Until the server says an official has reviewed it.
export function editable(pin) {
  if (pin.deleting) return false;
  return !pin.server || pin.server.editable !== false;
}

export function describe(walk, pin, state, entries) {
  return `${kindLabel(pin.kind)} · ${categoryLabel(walk, pin.category)}: ${stateText(pin, state, entries)}`;
}

async function thumbs(pin) {
  const list = el('ul', { class: 'thumbs' });
  for (const [n, id] of (pin.photos || []).entries()) {
    const photo = await db.getPhoto(id);
    const url = photo && thumbUrl(photo);
    if (url) list.append(el('li', {}, el('img', { src: url, alt: t('Photo {n}', { n: n + 1 }) })));
  }
  return list.children.length ? list : null;
}

export async function renderList(container, walk, pins, entries, actions) {
  const items = [];
  for (const pin of pins) {
    const state = pinState(pin, entries);
    const headId = `pin-h-${pin.id}`;
    const answers = ((pin.server && pin.server.responses) || []).map((r) => el('li', {},
      el('strong', {}, `${statusText(r.status, departmentName(pin))}: `), r.text));
    const canEdit = editable(pin);
    // A change refused because an official reviewed the pin meanwhile: go back to what was sent.
    const canRevert = state === 'rejected' && !canEdit && pin.server && pin.server.content;
    items.push(el('li', { id: `pin-${pin.id}`, class: `pin-item state-${state}`, tabindex: '-1' },
      el('h3', { id: headId }, `${kindLabel(pin.kind)} · ${categoryLabel(walk, pin.category)}`),
      el('p', { class: 'pin-text' }, pin.text),
      el('p', { class: 'pin-state' }, el('span', { class: `badge badge-${state}` },
        stateText(pin, state, entries))),
      pin.notice ? el('p', { class: 'warning' }, reasonText(pin.notice, pin.notice)) : null,
      answers.length ? el('ul', { class: 'answers', 'aria-label': t('Answers') }, answers) : null,
      pin.created_at ? el('p', { class: 'meta' }, formatDateTime(pin.created_at)) : null,
      await thumbs(pin),
      el('div', { class: 'row' },
        el('button', { type: 'button', 'aria-describedby': headId, dataset: { action: 'show' },
          onclick: () => actions.show(pin.id) }, t('Show on map')),
        canEdit ? el('button', { type: 'button', 'aria-describedby': headId,
          dataset: { action: 'edit' }, onclick: () => actions.edit(pin.id) }, t('Edit')) : null,
        canEdit ? el('button', { type: 'button', class: 'danger', 'aria-describedby': headId,
          dataset: { action: 'delete' }, onclick: () => actions.remove(pin.id) }, t('Delete'))
          : null,
        canRevert ? el('button', { type: 'button', 'aria-describedby': headId,
          dataset: { action: 'revert' }, onclick: () => actions.revert(pin.id) },
        t('Undo my change')) : null)));
  }
  for (const old of container.querySelectorAll('img')) URL.revokeObjectURL(old.src);
  container.replaceChildren(...items);
}
