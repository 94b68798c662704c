// What the server says back about our pins: sent -> routed to a department -> status and
// public answers. Reads GET /devices/me/comments page by page from the saved cursor.

import * as api from './api.js';
import * as db from './db.js';

const MAX_PAGES = 20;

// Returns true if anything changed.
export async function pullFeed(token) {
  let cursor = await db.getMeta('feed_cursor');
  let any = false;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const feed = await api.myComments(token, cursor);
    if (feed.comments.length) {
      await db.applyFeed(feed.comments);
      any = true;
    }
    if (feed.cursor && feed.cursor !== cursor) {
      cursor = feed.cursor;
      await db.setMeta('feed_cursor', cursor);
    }
    if (!feed.has_more) break;
  }
  return any;
}
