import { describe as group, expect, it } from "vitest";
import { boxAt, describe, draftLeftOut, makeClass, makeSpan, overlapsAny } from "./regions";
import type { BoxRegion, SpanRegion } from "./types";

const box = (id: string, x: number, y: number, w: number, h: number): BoxRegion => ({
  id, type: "bbox", label: "car", x, y, w, h,
});

group("boxAt", () => {
  const boxes = [box("a", 0, 0, 50, 50), box("b", 40, 40, 20, 20)];
  it.each([
    [{ x: 10, y: 10 }, "a"],
    [{ x: 45, y: 45 }, "b"],
    [{ x: 60, y: 60 }, "b"],
    [{ x: 61, y: 60 }, null],
  ])("at %o finds %s", (point, id) => {
    expect(boxAt(boxes, point)?.id ?? null).toBe(id);
  });
});

group("overlapsAny", () => {
  const spans: SpanRegion[] = [{ id: "s", type: "span", label: "PER", start: 5, end: 10 }];
  it.each([
    [0, 5, false],
    [10, 12, false],
    [9, 12, true],
    [0, 6, true],
    [6, 7, true],
  ])("[%i, %i) overlaps: %s", (start, end, expected) => {
    expect(overlapsAny(spans, start, end)).toBe(expected);
  });
});

group("describe", () => {
  it("reads a span from the text in code points", () => {
    const span: SpanRegion = { id: "s", type: "span", label: "PER", start: 2, end: 7 };
    expect(describe(span, "\u{1F600} Alice met Bob")).toBe("PER: “Alice” [2, 7)");
  });

  it("reads a box", () => {
    expect(describe(box("a", 1, 2.5, 3, 4))).toBe("car: x 1, y 2.50, 3×4");
  });
});

group("makeSpan and makeClass", () => {
  it("carries the span's text by code points", () => {
    const span = makeSpan("👩‍💻 Ada visits", "PER", { start: 4, end: 7 });
    expect([span.type, span.label, span.start, span.end, span.text]).toEqual([
      "span",
      "PER",
      4,
      7,
      "Ada",
    ]);
  });

  it("keeps the class region's id and names one label only when one is chosen", () => {
    expect(makeClass([], "c1")).toBeNull();
    expect(makeClass(["pos"], "c1")).toEqual({ id: "c1", type: "class", label: "pos", labels: ["pos"] });
    const both = makeClass(["pos", "neg"]);
    expect([both?.label, both?.labels, both?.id.length]).toEqual([null, ["pos", "neg"], 12]);
  });
});

group("draftLeftOut", () => {
  const model = [box("m1", 0, 0, 10, 10), box("m2", 5, 5, 10, 10), box("m3", 1, 1, 2, 2)];
  it("gives the model regions whose ids the draft lacks, in the model's order", () => {
    // m2 accepted then moved (same id), a person's own box, m1 and m3 left out.
    const draft = [box("m2", 7, 7, 10, 10), box("own", 20, 20, 5, 5)];
    expect(draftLeftOut(draft, model).map((r) => r.id)).toEqual(["m1", "m3"]);
  });
  it("gives nothing when the draft holds every suggestion", () => {
    expect(draftLeftOut(model, model)).toEqual([]);
  });
  it("leaves out the model's class region when the draft has one", () => {
    const cls = makeClass(["pos"], "c-model")!;
    const mine = makeClass(["neg"], "c-mine")!;
    expect(draftLeftOut([mine], [cls])).toEqual([]);
    expect(draftLeftOut([], [cls])).toEqual([cls]);
  });
});
