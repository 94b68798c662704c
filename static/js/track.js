// Opt-in "record my route": positions while the app is open (phones stop geolocation when
// the screen locks), each with its accuracy, kept on the phone and sent as one track with
// the idempotent PUT /walks/<code>/tracks/<id>.

import * as db from './db.js';

const MIN_STEP_M = 8;
const MIN_GAP_MS = 30000;
const WORST_ACCURACY_M = 100;
const UPLOAD_EVERY_MS = 5 * 60000;

function distance(a, b) {
  const rad = Math.PI / 180;
  const x = (b[0] - a[0]) * rad * Math.cos(((a[1] + b[1]) / 2) * rad);
  const y = (b[1] - a[1]) * rad;
  return Math.sqrt(x * x + y * y) * 6371000;
}

export class TrackRecorder {
  constructor(walkCode, onChange) {
    this.walk = walkCode;
    this.onChange = onChange;
    this.track = null;
    this.lastQueued = 0;
  }

  async load() {
    const state = await db.getMeta(`track:${this.walk}`);
    if (state && state.id) this.track = (await db.getTrack(state.id)) || null;
    this.recording = Boolean(state && state.recording && this.track);
    return this.recording;
  }

  async start(position) {
    if (!this.track) {
      this.track = { id: crypto.randomUUID(), walk: this.walk, points: [] };
      await db.saveTrack(this.track, false);
    }
    this.recording = true;
    await db.setMeta(`track:${this.walk}`, { id: this.track.id, recording: true });
    if (position) await this.add(position);
    this.onChange();
  }

  async stop() {
    this.recording = false;
    await db.setMeta(`track:${this.walk}`, { id: this.track.id, recording: false });
    if (this.track.points.length) await db.saveTrack(this.track, true);
    this.onChange(true);
  }

  get count() {
    return this.track ? this.track.points.length : 0;
  }

  // Called with every position fix; keeps points that moved or after a pause.
  async add(pos) {
    if (!this.recording || pos.accuracy > WORST_ACCURACY_M) return;
    const point = [pos.lon, pos.lat, pos.at, Math.round(pos.accuracy * 10) / 10];
    const last = this.track.points[this.track.points.length - 1];
    if (last && distance(last, point) < MIN_STEP_M
        && Date.parse(point[2]) - Date.parse(last[2]) < MIN_GAP_MS) return;
    this.track.points.push(point);
    const queue = Date.now() - this.lastQueued > UPLOAD_EVERY_MS;
    if (queue) this.lastQueued = Date.now();
    await db.saveTrack(this.track, queue);
    this.onChange(queue);
  }
}
