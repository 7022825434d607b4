/**
 * Text offsets: the one place where browser UTF-16 units meet stored code points.
 *
 * Spans are stored as [start, end) in Unicode code points (Python indexing);
 * the DOM, `String.prototype.slice` and `Selection` count UTF-16 code units.
 * A character outside the Basic Multilingual Plane (most emoji, some CJK)
 * is one code point but two UTF-16 units. Selections are also snapped to
 * grapheme clusters so a span never splits a ZWJ emoji, a flag, a letter
 * from its combining mark, or a CRLF pair.
 */

export class OffsetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OffsetError";
  }
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** True when a UTF-16 offset falls between the two halves of a surrogate pair. */
export function insidePair(text: string, offset: number): boolean {
  if (offset <= 0 || offset >= text.length) return false;
  return (
    isHighSurrogate(text.charCodeAt(offset - 1)) &&
    isLowSurrogate(text.charCodeAt(offset))
  );
}

/** Number of code points in a string (a lone surrogate counts as one). */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    if (isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1)))
      i++;
    count++;
  }
  return count;
}

/** Code-point index of a UTF-16 offset; an offset inside a pair is an error. */
export function utf16ToCodePoint(text: string, offset: number): number {
  if (!Number.isInteger(offset) || offset < 0 || offset > text.length) {
    throw new OffsetError(`UTF-16 offset ${offset} is outside 0..${text.length}`);
  }
  if (insidePair(text, offset)) {
    throw new OffsetError(`UTF-16 offset ${offset} falls inside a surrogate pair`);
  }
  return codePointLength(text.slice(0, offset));
}

/** UTF-16 offset of a code-point index. */
export function codePointToUtf16(text: string, index: number): number {
  if (!Number.isInteger(index) || index < 0) {
    throw new OffsetError(`code-point offset ${index} is negative or fractional`);
  }
  let units = 0;
  let points = 0;
  while (points < index) {
    if (units >= text.length) {
      throw new OffsetError(`code-point offset ${index} is past the end of the text`);
    }
    const pair =
      isHighSurrogate(text.charCodeAt(units)) &&
      isLowSurrogate(text.charCodeAt(units + 1));
    units += pair ? 2 : 1;
    points++;
  }
  return units;
}

/**
 * Precomputed conversion for one long text: O(1) each way after O(n) setup.
 */
export class OffsetMap {
  readonly text: string;
  private readonly toPoint: Int32Array;
  private readonly toUnit: Int32Array;

  constructor(text: string) {
    this.text = text;
    this.toPoint = new Int32Array(text.length + 1).fill(-1);
    const units: number[] = [];
    let point = 0;
    for (let i = 0; i < text.length; i++) {
      this.toPoint[i] = point;
      units.push(i);
      if (isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1)))
        i++;
      point++;
    }
    this.toPoint[text.length] = point;
    units.push(text.length);
    this.toUnit = Int32Array.from(units);
  }

  get length(): number {
    return this.toUnit.length - 1;
  }

  /** Code-point index of a UTF-16 offset. */
  point(offset: number): number {
    const valid = Number.isInteger(offset) && offset >= 0 && offset <= this.text.length;
    const value = valid ? this.toPoint[offset] : -1;
    if (value === -1) {
      throw new OffsetError(`UTF-16 offset ${offset} is not on a code-point boundary`);
    }
    return value;
  }

  /** UTF-16 offset of a code-point index. */
  unit(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index > this.length) {
      throw new OffsetError(`code-point offset ${index} is outside 0..${this.length}`);
    }
    return this.toUnit[index];
  }
}

type Granularity = "grapheme" | "word";

/** Sorted UTF-16 offsets where grapheme clusters (or words) begin, plus the end. */
export function boundaries(text: string, granularity: Granularity = "grapheme"): number[] {
  const result: number[] = [];
  const segmenter = new Intl.Segmenter(undefined, { granularity });
  for (const part of segmenter.segment(text)) {
    if (granularity === "word" && !part.isWordLike) continue;
    result.push(part.index);
    if (granularity === "word") result.push(part.index + part.segment.length);
  }
  if (granularity === "grapheme") result.push(text.length);
  return [...new Set(result)].sort((a, b) => a - b);
}

/** Snap a UTF-16 offset to a boundary: "start" moves left, "end" moves right. */
export function snapOffset(bounds: number[], offset: number, side: "start" | "end"): number {
  if (bounds.length === 0) return offset;
  let lo = 0;
  let hi = bounds.length - 1;
  if (side === "start") {
    if (offset <= bounds[0]) return bounds[0];
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (bounds[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return bounds[lo];
  }
  if (offset >= bounds[hi]) return bounds[hi];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bounds[mid] >= offset) hi = mid;
    else lo = mid + 1;
  }
  return bounds[lo];
}

/** A browser selection [start, end) in UTF-16 units to a stored code-point span. */
export function selectionToSpan(
  text: string,
  start: number,
  end: number,
  granularity: Granularity = "grapheme",
): { start: number; end: number } | null {
  const [lo, hi] = start <= end ? [start, end] : [end, start];
  const bounds = boundaries(text, granularity);
  let from = snapOffset(bounds, lo, "start");
  let to = snapOffset(bounds, hi, "end");
  // A span never starts or ends in white space: drop whole white-space
  // graphemes at either edge (a space carrying a combining mark stays).
  const graphemes = boundaries(text, "grapheme");
  const blank = (a: number, b: number): boolean => /^\s+$/u.test(text.slice(a, b));
  let i = graphemes.indexOf(from);
  while (i >= 0 && i + 1 < graphemes.length && graphemes[i + 1] <= to && blank(from, graphemes[i + 1])) {
    from = graphemes[++i];
  }
  let j = graphemes.indexOf(to);
  while (j > 0 && graphemes[j - 1] >= from && blank(graphemes[j - 1], to)) {
    to = graphemes[--j];
  }
  if (to <= from) return null;
  return { start: utf16ToCodePoint(text, from), end: utf16ToCodePoint(text, to) };
}

/** The text a stored code-point span covers. */
export function spanText(text: string, start: number, end: number): string {
  return text.slice(codePointToUtf16(text, start), codePointToUtf16(text, end));
}
