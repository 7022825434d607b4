import { describe, expect, it } from "vitest";
import { History } from "./history";

describe("History", () => {
  it("undoes and redoes in order", () => {
    const history = new History<number>();
    history.push(1);
    history.push(2);
    expect(history.undo(3)).toBe(2);
    expect(history.undo(2)).toBe(1);
    expect(history.undo(1)).toBeNull();
    expect(history.redo(1)).toBe(2);
    expect(history.redo(2)).toBe(3);
    expect(history.redo(3)).toBeNull();
  });

  it("drops the redo branch on a new change", () => {
    const history = new History<string>();
    history.push("a");
    expect(history.undo("b")).toBe("a");
    history.push("a");
    expect(history.canRedo).toBe(false);
  });

  it("forgets the oldest state past the limit", () => {
    const history = new History<number>(2);
    history.push(1);
    history.push(2);
    history.push(3);
    expect(history.undo(4)).toBe(3);
    expect(history.undo(3)).toBe(2);
    expect(history.undo(2)).toBeNull();
  });
});
