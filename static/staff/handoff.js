// Scribe mode, step two: hand the device token this page was given to the field app on this
// phone (same origin, same IndexedDB), then open the walk. The token never goes into a URL.
import { adopt } from '/static/js/scribe.js';

const box = document.getElementById('handoff');

async function run() {
  const d = box.dataset;
  let ok;
  try {
    ok = await adopt({ device_id: d.device, token: d.token, scribe: { name: d.name } });
  } catch {
    document.getElementById('handoff-working').hidden = true;
    document.getElementById('handoff-failed').hidden = false;
    return;
  }
  box.dataset.token = '';
  if (!ok) {
    document.getElementById('handoff-working').hidden = true;
    document.getElementById('handoff-busy').hidden = false;
    return;
  }
  location.replace(d.next);
}

if (box) run();
