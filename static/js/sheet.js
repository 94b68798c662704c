// The add/edit sheet: kind as three large choices, topic, text, photos and the pin's place
// (my position, the map centre, a tap or drag on the map, or the nudge buttons for people
// who do not use map gestures). Save hands the pin to onSave, which writes IndexedDB.

import * as db from './db.js';
import { label, t } from './i18n.js';
import { offset } from './map.js';
import { preparePhoto, thumbUrl } from './photos.js';
import { $, announce, el } from './ui.js';

const POOR_ACCURACY_M = 50;
const MAX_PHOTOS = 6;
const NUDGE_M = 10;
const NUDGES = { n: [NUDGE_M, 0], s: [-NUDGE_M, 0], e: [0, NUDGE_M], w: [0, -NUDGE_M] };
const KINDS = [
  ['question', () => t('Question'), () => t('Something you want to know')],
  ['opinion', () => t('Opinion'), () => t('What you think about something')],
  ['idea', () => t('Idea'), () => t('A suggestion to make things better')],
];

export class PinSheet {
  constructor({ walk, map, position, onSave, onClose }) {
    Object.assign(this, { walk, map, position, onSave, onClose });
    this.node = $('sheet');
    this.form = $('pin-form');
    this.pin = null;
    this.photos = [];       // [{id, thumbUrl, fresh: photo record | null}]
    this.removed = [];
    this.preparing = 0;
    this.form.addEventListener('submit', (e) => this.submit(e));
    $('sheet-close').addEventListener('click', () => this.close());
    this.node.addEventListener('keydown', (e) => { if (e.key === 'Escape') this.close(); });
    $('place-here').addEventListener('click', () => this.placeHere());
    $('place-centre').addEventListener('click',
      () => this.moveTo(this.map.centre(this.node), 'map'));
    for (const b of this.node.querySelectorAll('[data-nudge]')) {
      b.addEventListener('click', () => {
        const [north, east] = NUDGES[b.dataset.nudge];
        this.moveTo(offset(this.point, north, east), 'map');
      });
    }
    $('add-photo').addEventListener('click', () => $('photo-input').click());
    $('photo-input').addEventListener('change', (e) => this.addPhotos(e.target.files));
  }

  get isOpen() {
    return !this.node.hidden;
  }

  // pin: an existing pin to edit, or null with point/source/accuracy for a new one.
  async open({ pin = null, point, source, accuracy = null }) {
    this.pin = pin;
    this.removed = [];
    this.clearPhotos();
    this.form.reset();
    this.clearErrors();
    this.renderChoices();
    if (pin) {
      const [lon, lat] = pin.location.coordinates;
      this.setPlace({ lat, lon }, 'pin', pin.accuracy_m);
      this.form.elements.kind.value = pin.kind;
      $('category').value = pin.category;
      $('text').value = pin.text;
      for (const id of pin.photos || []) {
        const photo = await db.getPhoto(id);
        if (photo) this.photos.push({ id, url: thumbUrl(photo), fresh: null });
      }
    } else {
      this.setPlace(point, source, accuracy);
    }
    $('sheet-h').textContent = pin ? t('Change your pin') : t('New pin');
    this.renderPhotos();
    this.node.hidden = false;
    $('walk-view').classList.add('sheet-open');
    this.map.invalidate();
    this.map.showDraft(this.point, t('The pin you are placing'), (p) => this.setPlace(p, 'map'),
      this.node);
    $('sheet-h').focus();
  }

  close(saved = false) {
    if (!this.isOpen) return;
    this.node.hidden = true;
    $('walk-view').classList.remove('sheet-open');
    this.map.hideDraft();
    this.clearPhotos();
    this.map.invalidate();
    this.onClose(saved);
  }

  renderChoices() {
    const box = $('kind-choices');
    const current = this.form.elements.kind ? this.form.elements.kind.value : '';
    box.replaceChildren(...KINDS.map(([value, name, hint]) => el('label', { class: 'choice' },
      el('input', { type: 'radio', name: 'kind', value, required: true,
        checked: value === current }),
      el('span', { class: 'choice-name' }, name()),
      el('span', { class: 'choice-hint' }, hint()))));
    const select = $('category');
    const chosen = select.value;
    select.replaceChildren(el('option', { value: '' }, t('Choose a topic')),
      ...(this.walk.categories || []).map((c) => el('option', { value: c.slug },
        label(c.labels, c.slug))));
    select.value = chosen;
  }

  relabel() {
    if (!this.isOpen) return;
    this.renderChoices();
    $('sheet-h').textContent = this.pin ? t('Change your pin') : t('New pin');
    this.setPlace(this.point, this.source, this.accuracy);
    this.renderPhotos();
  }

  placeHere() {
    const pos = this.position();
    if (!pos) {
      announce(t('Your position is not known yet.'));
      return;
    }
    this.moveTo({ lat: pos.lat, lon: pos.lon }, 'gps', pos.accuracy);
  }

  // From a tap or drag on the map, the nudge buttons or "use my position".
  moveTo(point, source, accuracy = null) {
    this.setPlace(point, source, accuracy);
    this.map.moveDraft(point);
  }

  setPlace(point, source, accuracy = null) {
    this.point = point;
    this.source = source;
    // A position chosen by hand has no GPS accuracy; an unchanged pin keeps its own.
    this.accuracy = source === 'gps' || source === 'pin' ? accuracy : null;
    const m = this.accuracy === null || this.accuracy === undefined ? null
      : Math.round(this.accuracy);
    let text;
    if (source === 'gps') text = t('At your position, accurate to about {m} m.', { m });
    else if (source === 'pin') text = t('Where you put the pin.');
    else if (source === 'nofix') {
      text = t('Your position is not known. The pin is in the middle of the map: move it to the right place.');
    } else text = t('Placed by you on the map.');
    $('place-desc').textContent = text;
    const warn = $('accuracy-warning');
    warn.hidden = !(source === 'gps' && m !== null && m > POOR_ACCURACY_M);
    if (!warn.hidden) {
      warn.textContent = t('Your position is uncertain (about {m} m). Check that the pin is in the right place.', { m });
    }
  }

  async addPhotos(files) {
    for (const file of Array.from(files || [])) {
      if (this.photos.length >= MAX_PHOTOS) {
        announce(t('You can add at most {n} photos.', { n: MAX_PHOTOS }));
        break;
      }
      this.preparing += 1;
      $('photo-status').textContent = t('Preparing the photo…');
      try {
        const started = performance.now();
        const photo = await preparePhoto(file);
        globalThis.__photoTimings = globalThis.__photoTimings || [];
        globalThis.__photoTimings.push(performance.now() - started);
        this.photos.push({ id: photo.id, url: thumbUrl(photo), fresh: photo });
        $('photo-status').textContent = t('Photo added.');
      } catch {
        $('photo-status').textContent = t('This photo could not be read. Try another one.');
      } finally {
        this.preparing -= 1;
      }
      this.renderPhotos();
    }
    $('photo-input').value = '';
  }

  renderPhotos() {
    $('photo-list').replaceChildren(...this.photos.map((p, n) => el('li', {},
      el('img', { src: p.url, alt: t('Photo {n}', { n: n + 1 }) }),
      el('button', { type: 'button', class: 'small', onclick: () => this.removePhoto(p.id) },
        t('Remove photo {n}', { n: n + 1 })))));
    $('add-photo').disabled = this.photos.length >= MAX_PHOTOS;
  }

  removePhoto(id) {
    const photo = this.photos.find((p) => p.id === id);
    if (!photo) return;
    if (!photo.fresh) this.removed.push(id);
    if (photo.url) URL.revokeObjectURL(photo.url);
    this.photos = this.photos.filter((p) => p.id !== id);
    this.renderPhotos();
    $('add-photo').focus();
    announce(t('Photo removed.'));
  }

  clearPhotos() {
    for (const p of this.photos) if (p.url) URL.revokeObjectURL(p.url);
    this.photos = [];
    $('photo-status').textContent = '';
  }

  clearErrors() {
    for (const id of ['kind-error', 'category-error', 'text-error']) $(id).hidden = true;
    for (const id of ['category', 'text']) $(id).removeAttribute('aria-invalid');
    $('form-error').textContent = '';
  }

  validate() {
    this.clearErrors();
    const problems = [];
    const fail = (id, field, message) => {
      $(id).textContent = message;
      $(id).hidden = false;
      if (field) $(field).setAttribute('aria-invalid', 'true');
      problems.push({ focus: field ? $(field) : this.form.querySelector('input[name=kind]'),
        message });
    };
    if (!this.form.elements.kind.value) fail('kind-error', null, t('Choose what kind of comment it is.'));
    if (!$('category').value) fail('category-error', 'category', t('Choose a topic.'));
    if (!$('text').value.trim()) fail('text-error', 'text', t('Write your comment.'));
    if (this.preparing) problems.push({ focus: $('add-photo'), message: t('Wait until the photo is ready.') });
    if (problems.length) {
      $('form-error').textContent = problems.map((p) => p.message).join(' ');
      problems[0].focus.focus();
    }
    return !problems.length;
  }

  async submit(event) {
    event.preventDefault();
    const started = performance.now();
    if (!this.validate()) return;
    const round = (x) => Math.round(x * 1e7) / 1e7;
    const old = this.pin;
    const pin = {
      id: old ? old.id : crypto.randomUUID(),
      walk: this.walk.join_code,
      kind: this.form.elements.kind.value,
      category: $('category').value,
      text: $('text').value.trim(),
      location: { type: 'Point', coordinates: [round(this.point.lon), round(this.point.lat)] },
      accuracy_m: this.accuracy === undefined ? null : this.accuracy,
      created_at: old ? old.created_at : new Date().toISOString(),
      photos: this.photos.map((p) => p.id),
    };
    const fresh = this.photos.filter((p) => p.fresh).map((p) => p.fresh);
    const button = $('save');
    button.disabled = true;
    try {
      await this.onSave(pin, fresh, this.removed);
      // Committed to IndexedDB: this is the latency the resident feels (target < 50 ms).
      const ms = performance.now() - started;
      globalThis.__saveTimings = globalThis.__saveTimings || [];
      globalThis.__saveTimings.push(ms);
      this.close(true);
    } catch (err) {
      $('form-error').textContent = t('The pin could not be saved on this phone: {error}',
        { error: String(err && err.message) });
    } finally {
      button.disabled = false;
    }
  }
}
