/** Small pure helpers over regions shared by the labeling tools. */
import { codePointToUtf16, spanText } from "./offsets";
import type { BoxRegion, ClassRegion, Label, Region, SpanRegion } from "./types";
import type { Point } from "./viewport";

export function newRegionId(): string {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function labelColor(labels: Label[], name: string | null): string {
  return labels.find((label) => label.name === name)?.color || "#888888";
}

/** Topmost box containing an image point (the last drawn wins). */
export function boxAt(boxes: BoxRegion[], point: Point): BoxRegion | null {
  for (let i = boxes.length - 1; i >= 0; i--) {
    const box = boxes[i];
    if (
      point.x >= box.x &&
      point.x <= box.x + box.w &&
      point.y >= box.y &&
      point.y <= box.y + box.h
    ) {
      return box;
    }
  }
  return null;
}

/** True when [start, end) overlaps any other span (touching ends is fine). */
export function overlapsAny(spans: SpanRegion[], start: number, end: number): boolean {
  return spans.some((span) => span.start < end && start < span.end);
}

export const OVERLAP_REFUSED =
  "Spans may not overlap in this project; delete the other span first.";

/** A new span over [start, end) of ``text`` (code points), carrying its text. */
export function makeSpan(
  text: string,
  label: string | null,
  range: { start: number; end: number },
): SpanRegion {
  return {
    id: newRegionId(),
    type: "span",
    label,
    start: range.start,
    end: range.end,
    text: spanText(text, range.start, range.end),
  };
}

/** The class region for the chosen names (keeping ``id``), or null for none. */
export function makeClass(names: string[], id: string | null = null): ClassRegion | null {
  if (names.length === 0) return null;
  return {
    id: id ?? newRegionId(),
    type: "class",
    label: names.length === 1 ? names[0] : null,
    labels: names,
  };
}

/** One line a person can read for a region (used in lists and the conflict view). */
export function describe(region: Region, text: string | null = null): string {
  if (region.type === "bbox") {
    return `${region.label ?? "?"}: x ${fmt(region.x)}, y ${fmt(region.y)}, ${fmt(region.w)}×${fmt(region.h)}`;
  }
  if (region.type === "span") {
    const shown = text === null ? (region.text ?? "") : spanTextOr(text, region);
    return `${region.label ?? "?"}: “${shown}” [${region.start}, ${region.end})`;
  }
  if (region.type === "class") return `class: ${(region.labels ?? []).join(", ") || "(none)"}`;
  // Kinds this UI does not draw (polygon, mask, ...) still get a line.
  const other = region as { type: string; label?: string | null };
  return `${other.label ?? "?"}: ${other.type}`;
}

function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function spanTextOr(text: string, span: SpanRegion): string {
  try {
    return text.slice(codePointToUtf16(text, span.start), codePointToUtf16(text, span.end));
  } catch {
    return span.text ?? "";
  }
}

/**
 * The model's regions a saved draft does not hold: those the person neither
 * accepted nor edited (both keep the region's id). A class region is left
 * out when the draft already has one, since an item takes only one.
 */
export function draftLeftOut(draft: Region[], model: Region[]): Region[] {
  const kept = new Set(draft.map((r) => r.id));
  const hasClass = draft.some((r) => r.type === "class");
  return model.filter((r) => !kept.has(r.id) && !(hasClass && r.type === "class"));
}
