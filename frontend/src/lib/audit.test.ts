import { describe, expect, it } from "vitest";
import { compact, details, localTime, parseTime, targetText } from "./audit";

describe("details", () => {
  it.each([
    [{ excluded: true, exclude_reason: "blurry" }, "excluded: true; exclude_reason: blurry"],
    [{ comment: "", fix: null }, 'comment: ""; fix: none'],
    [{ version: 2 }, "version: 2"],
    [{ count: 3, ids: [4, 5, 6] }, "count: 3; ids: [4, 5, 6]"],
    [{ ids: [1, 2, 3, 4, 5, 6, 7, 8] }, "ids: [1, 2, 3, 4, 5, … 3 more]"],
    [
      { settings: { overlap: 2, review_policy: "all" } },
      "settings: {overlap: 2, review_policy: all}",
    ],
    [
      { label_schema: { labels: [{ name: "pos", attributes: [] }] } },
      "label_schema: {labels: [{…}]}",
    ],
    [{}, ""],
  ])("%j reads %s", (data, text) => {
    expect(details(data)).toBe(text);
  });

  it("never shows [object Object]", () => {
    const deep = { a: { b: { c: { d: 1 } } }, list: [[{ x: 1 }]], grid: [[[1]]] };
    expect(details(deep)).not.toContain("[object");
    expect(details(deep)).toBe("a: {b: {c: {…}}}; list: [[{…}]]; grid: [[[…]]]");
  });

  it("clips long strings", () => {
    const text = compact("x".repeat(200));
    expect(text).toHaveLength(80);
    expect(text.endsWith("…")).toBe(true);
  });

  it("takes a missing data object as nothing", () => {
    expect(details(null)).toBe("");
  });
});

describe("times", () => {
  it.each([
    ["2026-12-04T21:47:10.455189+00:00", Date.UTC(2026, 11, 4, 21, 47, 10, 455)],
    ["2026-12-04T21:47:10Z", Date.UTC(2026, 11, 4, 21, 47, 10)],
    ["2026-12-04T23:47:10+02:00", Date.UTC(2026, 11, 4, 21, 47, 10)],
    // SQLite's naive times are UTC, not the browser's zone.
    ["2026-12-04T21:47:10", Date.UTC(2026, 11, 4, 21, 47, 10)],
  ])("%s is the UTC instant", (iso, ms) => {
    expect(parseTime(iso).getTime()).toBe(ms);
  });

  it("shows a broken time as it came", () => {
    expect(localTime("yesterday")).toBe("yesterday");
  });
});

describe("targetText", () => {
  it.each([
    ["item.update", "621", "item 621"],
    ["queue.skip", "7", "item 7"],
    ["review.reject", "12", "annotation 12"],
    ["annotation.update", "3", "annotation 3"],
    ["member.set", "4", "user 4"],
    ["snapshot.create", "v1", "v1"],
    ["clean.repair", "item:5", "item:5"],
    ["consensus.create", "majority", "majority"],
  ])("%s %s -> %s", (action, target, want) => {
    expect(targetText(action, target)).toBe(want);
  });
  it("gives nothing for no target", () => {
    expect(targetText("project.update", null)).toBe("");
  });
});
