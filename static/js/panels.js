// The "More" panel of a walk: when and where it meets, the offline map download (progress
// bar, count and size) and the opt-in route recording.

import * as db from './db.js';
import { formatDateTime, t } from './i18n.js';
import * as tiles from './tiles.js';
import { $, announce, formatBytes } from './ui.js';

export function renderWalkFacts(walk) {
  $('walk-h').textContent = walk.title;
  $('bar-title').textContent = walk.title;
  document.title = `${walk.title} – walkapp`;
  $('walk-when').textContent = walk.starts_at ? formatDateTime(walk.starts_at) : '';
  const meet = walk.meeting_point || {};
  $('walk-meet').textContent = [meet.description, walk.locality].filter(Boolean).join(', ');
  $('walk-closed').hidden = walk.status !== 'closed';
}

export async function renderOffline(walk) {
  const saved = await db.getMeta(`offline:${walk.join_code}`);
  const planned = tiles.plan(walk);
  let text;
  if (!planned.tiles.length) text = t('This walk has no map area to save.');
  else if (saved && !saved.failed) {
    text = t('The map is saved on this phone ({n} map tiles, {size}).',
      { n: saved.total, size: formatBytes(saved.bytes) });
  } else text = t('Save the map of the walk area before you go, while you have a good connection.');
  $('offline-status').textContent = text;
  $('offline-download').hidden = !planned.tiles.length;
}

export async function downloadTiles(walk) {
  const button = $('offline-download');
  button.disabled = true;
  $('offline-progress').hidden = false;
  const bar = $('offline-bar');
  const count = $('offline-count');
  let shown = -1;
  const result = await tiles.download(walk, ({ done, total, bytes }) => {
    bar.max = total;
    bar.value = done;
    // New words at most every 10 %, so a screen reader is not flooded.
    if (done === total || done - shown >= Math.max(1, total / 10)) {
      shown = done;
      count.textContent = t('{done} of {total} map tiles · {size}',
        { done, total, size: formatBytes(bytes) });
    }
  });
  await db.setMeta(`offline:${walk.join_code}`, result);
  button.disabled = false;
  if (result.failed) {
    count.textContent = t('{n} map tiles could not be saved. Try again with a better connection.',
      { n: result.failed });
  } else announce(t('The map is saved for use without signal.'));
  await renderOffline(walk);
}

export function renderTrack(recorder) {
  const button = $('track-toggle');
  button.setAttribute('aria-pressed', String(Boolean(recorder.recording)));
  button.textContent = recorder.recording ? t('Stop recording my route') : t('Record my route');
  $('track-status').textContent = recorder.count
    ? t('Points recorded: {n}', { n: recorder.count }) : '';
}

export async function toggleTrack(recorder, position) {
  if (recorder.recording) {
    await recorder.stop();
    announce(t('Route recording stopped.'));
  } else {
    await recorder.start(position);
    announce(t('Recording your route while the app is open.'));
  }
  renderTrack(recorder);
}
