import { describe, expect, it } from "vitest";
import { rowWindow } from "./virtual";

describe("rowWindow", () => {
  it.each([
    // scrollTop, view, row, total, overscan -> first, last, padTop, padBottom
    [0, 100, 10, 1000, 0, 0, 10, 0, 9890],
    [3600, 360, 36, 100000, 5, 95, 115, 3420, (100000 - 116) * 36],
    [0, 100, 10, 3, 5, 0, 2, 0, 0],
    [-50, 100, 10, 20, 0, 0, 10, 0, 90],
    [0, 100, 10, 0, 5, 0, -1, 0, 0],
  ])("scroll %i view %i row %i total %i", (top, view, row, total, over, f, l, pt, pb) => {
    expect(rowWindow(top, view, row, total, over)).toEqual({
      first: f,
      last: l,
      padTop: pt,
      padBottom: pb,
    });
  });
});
