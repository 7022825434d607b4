/**
 * Local drafts: regions kept in localStorage until the server has them, so a
 * reload or a lost connection loses nothing.
 */
import type { Region } from "./types";

export interface LocalDraft {
  itemId: number;
  annotationId: number | null;
  version: number | null;
  regions: Region[];
  leadTime: number;
  savedAt: number;
}

const PREFIX = "annotary.draft.";

function key(userId: number, itemId: number): string {
  return `${PREFIX}${userId}.${itemId}`;
}

export function saveLocal(store: Storage, userId: number, draft: LocalDraft): void {
  try {
    store.setItem(key(userId, draft.itemId), JSON.stringify(draft));
  } catch (error) {
    // A full or disabled storage must not break labeling; the server copy remains.
    console.warn("annotary: could not keep a local draft", error);
  }
}

export function loadLocal(store: Storage, userId: number, itemId: number): LocalDraft | null {
  const raw = store.getItem(key(userId, itemId));
  if (raw === null) return null;
  try {
    const draft = JSON.parse(raw) as LocalDraft;
    return draft.itemId === itemId && Array.isArray(draft.regions) ? draft : null;
  } catch {
    return null;
  }
}

export function dropLocal(store: Storage, userId: number, itemId: number): void {
  store.removeItem(key(userId, itemId));
}

/** Item ids that still have a local draft for this user. */
export function pendingItems(store: Storage, userId: number): number[] {
  const prefix = `${PREFIX}${userId}.`;
  const ids: number[] = [];
  for (let i = 0; i < store.length; i++) {
    const name = store.key(i);
    if (name?.startsWith(prefix)) ids.push(Number(name.slice(prefix.length)));
  }
  return ids.sort((a, b) => a - b);
}
