// The JSON API v1 as the phone uses it. No DOM, no storage: callers pass the device token.
// NetworkError = we never got an answer (offline, server down, response lost);
// HttpError = the server answered with an error status and (usually) a JSON error body.

const TIMEOUT_MS = 20000;

export class NetworkError extends Error {}

export class HttpError extends Error {
  constructor(status, body) {
    const err = body && body.error;
    super((err && err.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (err && err.code) || '';
    this.fields = (err && err.fields) || [];
  }
}

async function call(method, url, { token, json, body, type, timeout = TIMEOUT_MS } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (type) {
    headers['Content-Type'] = type;
  }
  let resp;
  try {
    resp = await fetch(url, { method, headers, body, cache: 'no-store',
      signal: AbortSignal.timeout(timeout) });
  } catch (err) {
    throw new NetworkError(err && err.message ? err.message : 'network error');
  }
  let data = null;
  if (resp.status !== 204) {
    try { data = await resp.json(); } catch { data = null; }
  }
  if (!resp.ok) throw new HttpError(resp.status, data);
  return data;
}

export const registerDevice = () => call('POST', '/api/v1/devices');
export const getWalk = (code) => call('GET', `/api/v1/walks/${encodeURIComponent(code)}`);
export const sync = (token, comments) => call('POST', '/api/v1/sync', { token, json: { comments } });
export const putPhoto = (token, pinId, photoId, data, type) =>
  call('PUT', `/api/v1/comments/${pinId}/photos/${photoId}`, { token, body: data, type,
    timeout: 60000 });
export const deleteComment = (token, id) => call('DELETE', `/api/v1/comments/${id}`, { token });
export const myComments = (token, since) =>
  call('GET', `/api/v1/devices/me/comments${since ? `?since=${encodeURIComponent(since)}` : ''}`,
    { token });
export const putTrack = (token, walk, id, points) =>
  call('PUT', `/api/v1/walks/${encodeURIComponent(walk)}/tracks/${id}`, { token,
    json: { points } });

// The device's own record and its opt-in answer notifications (static/js/notify.js).
export const pushKey = () => call('GET', '/api/v1/push/key');
export const getMe = (token) => call('GET', '/api/v1/devices/me', { token });
export const eraseMe = (token) => call('DELETE', '/api/v1/devices/me', { token });
export const putPush = (token, subscription, language) =>
  call('PUT', '/api/v1/devices/me/push', { token, json: { subscription, language } });
export const deletePush = (token) => call('DELETE', '/api/v1/devices/me/push', { token });
export const putEmail = (token, email, language) =>
  call('PUT', '/api/v1/devices/me/email', { token, json: { email, language } });
export const deleteEmail = (token) => call('DELETE', '/api/v1/devices/me/email', { token });
