/** One-line descriptions of regions for side-by-side views and the review queue. */

import type { Region } from "./types";

export function describe(region: Region): string {
  const r = region as Region & Record<string, unknown>;
  const labels = (r.labels as string[] | undefined)?.join(", ") || (r.label as string) || "";
  if (r.type === "span") return `${labels} [${r.start}, ${r.end})`;
  if (r.type === "bbox") {
    const n = (v: unknown) => Math.round(Number(v));
    return `${labels} box ${n(r.x)},${n(r.y)} ${n(r.w)}×${n(r.h)}`;
  }
  return labels;
}
