import { describe, expect, it } from "vitest";
import {
  OffsetError,
  OffsetMap,
  boundaries,
  codePointLength,
  codePointToUtf16,
  selectionToSpan,
  snapOffset,
  spanText,
  utf16ToCodePoint,
} from "./offsets";

// Hand-counted: each row is (text, UTF-16 offset, code-point index).
const PAIRS: [string, string, number, number][] = [
  ["ascii", "Hello world", 6, 6],
  ["emoji before", "a\u{1F600}b", 3, 2],
  ["emoji end", "a\u{1F600}", 3, 2],
  ["ZWJ technologist", "\u{1F469}\u200D\u{1F4BB} Ada", 6, 4],
  ["family ZWJ", "\u{1F468}\u200D\u{1F469}\u200D\u{1F467}x", 8, 5],
  ["flag", "\u{1F1EF}\u{1F1F5}!", 4, 2],
  ["BMP CJK", "東京タワー", 2, 2],
  ["supplementary CJK", "\u{20BB7}野家", 2, 1],
  ["RTL Hebrew", "שלום עולם", 5, 5],
  ["Arabic with emoji", "مرحبا \u{1F44B} عالم", 9, 8],
  ["combining acute", "e\u0301te", 2, 2],
  ["CRLF", "a\r\nb", 3, 3],
  ["start", "\u{1F600}", 0, 0],
];

describe("utf16ToCodePoint / codePointToUtf16", () => {
  it.each(PAIRS)("%s", (_name, text, units, points) => {
    expect(utf16ToCodePoint(text, units)).toBe(points);
    expect(codePointToUtf16(text, points)).toBe(units);
    const map = new OffsetMap(text);
    expect(map.point(units)).toBe(points);
    expect(map.unit(points)).toBe(units);
  });

  it.each([
    ["inside a pair", "a\u{1F600}b", 2],
    ["negative", "abc", -1],
    ["past the end", "abc", 4],
    ["fractional", "abc", 1.5],
  ])("rejects an offset %s", (_name, text, offset) => {
    expect(() => utf16ToCodePoint(text, offset)).toThrow(OffsetError);
    expect(() => new OffsetMap(text).point(offset)).toThrow(OffsetError);
  });

  it.each([
    ["past the end", "a\u{1F600}", 3],
    ["negative", "abc", -1],
  ])("rejects a code point %s", (_name, text, index) => {
    expect(() => codePointToUtf16(text, index)).toThrow(OffsetError);
    expect(() => new OffsetMap(text).unit(index)).toThrow(OffsetError);
  });

  it("counts code points like Python len()", () => {
    // len("👩‍💻 Ada") == 7 and len("a😀b") == 3 in Python.
    expect(codePointLength("\u{1F469}\u200D\u{1F4BB} Ada")).toBe(7);
    expect(codePointLength("a\u{1F600}b")).toBe(3);
    expect(new OffsetMap("a\u{1F600}b").length).toBe(3);
  });
});

describe("boundaries and snapping", () => {
  it("keeps a ZWJ sequence in one grapheme", () => {
    expect(boundaries("\u{1F469}\u200D\u{1F4BB}x")).toEqual([0, 5, 6]);
  });

  it("keeps a combining mark with its letter", () => {
    expect(boundaries("e\u0301t")).toEqual([0, 2, 3]);
  });

  it("keeps CRLF together", () => {
    expect(boundaries("a\r\nb")).toEqual([0, 1, 3, 4]);
  });

  it("finds word edges", () => {
    expect(boundaries("Hi, Ada!", "word")).toEqual([0, 2, 4, 7]);
  });

  it.each([
    [3, "start", 0],
    [3, "end", 5],
    [5, "start", 5],
    [0, "end", 0],
    [9, "end", 6],
  ] as const)("snaps %i to the %s side -> %i", (offset, side, expected) => {
    expect(snapOffset([0, 5, 6], offset, side)).toBe(expected);
  });
});

describe("selectionToSpan", () => {
  it("selects a name after an emoji", () => {
    const text = "\u{1F600} Alice met Bob";
    // "Alice" is UTF-16 [3, 8) and code points [2, 7).
    expect(selectionToSpan(text, 3, 8)).toEqual({ start: 2, end: 7 });
    expect(spanText(text, 2, 7)).toBe("Alice");
  });

  it("selects on the second line of CRLF text", () => {
    const text = "line one\r\nParis is big";
    expect(selectionToSpan(text, 10, 15)).toEqual({ start: 10, end: 15 });
    expect(spanText(text, 10, 15)).toBe("Paris");
  });

  it("widens a selection that splits a ZWJ emoji", () => {
    const text = "x\u{1F469}\u200D\u{1F4BB}y";
    expect(selectionToSpan(text, 2, 4)).toEqual({ start: 1, end: 4 });
  });

  it("accepts a backwards selection", () => {
    expect(selectionToSpan("abcdef", 4, 1)).toEqual({ start: 1, end: 4 });
  });

  it("snaps to words when asked", () => {
    expect(selectionToSpan("Hello brave world", 7, 9, "word")).toEqual({
      start: 6,
      end: 11,
    });
  });

  it("returns null for an empty selection", () => {
    expect(selectionToSpan("abc", 2, 2)).toBeNull();
  });

  it("leaves white space at either edge out", () => {
    // "see 👍🏽 " : the thumbs-up with its skin tone is code points [4, 6).
    const text = "see \u{1F44D}\u{1F3FD} \r\n";
    expect(selectionToSpan(text, 3, text.length)).toEqual({ start: 4, end: 6 });
    expect(selectionToSpan("  Paris\t", 0, 8)).toEqual({ start: 2, end: 7 });
    expect(selectionToSpan("a\u3000b", 1, 2)).toBeNull(); // only an ideographic space
  });

  it("keeps a space that carries a combining mark (one grapheme)", () => {
    const text = "x \u0301y";
    expect(selectionToSpan(text, 1, 3)).toEqual({ start: 1, end: 3 });
  });
});
