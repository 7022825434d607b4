import { describe, expect, it } from "vitest";
import { dropLocal, loadLocal, pendingItems, saveLocal, type LocalDraft } from "./drafts";

class MemoryStorage implements Storage {
  private data = new Map<string, string>();
  get length(): number {
    return this.data.size;
  }
  clear(): void {
    this.data.clear();
  }
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.data.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.data.delete(key);
  }
  setItem(key: string, value: string): void {
    this.data.set(key, value);
  }
}

const draft: LocalDraft = {
  itemId: 7,
  annotationId: null,
  version: null,
  regions: [{ id: "a", type: "span", label: "PER", start: 2, end: 7 }],
  leadTime: 3.5,
  savedAt: 1,
};

describe("local drafts", () => {
  it("round-trips per user and item", () => {
    const store = new MemoryStorage();
    saveLocal(store, 1, draft);
    expect(loadLocal(store, 1, 7)).toEqual(draft);
    expect(loadLocal(store, 2, 7)).toBeNull();
    expect(pendingItems(store, 1)).toEqual([7]);
    dropLocal(store, 1, 7);
    expect(loadLocal(store, 1, 7)).toBeNull();
  });

  it("ignores a corrupt entry", () => {
    const store = new MemoryStorage();
    store.setItem("annotary.draft.1.7", "{not json");
    expect(loadLocal(store, 1, 7)).toBeNull();
  });
});
