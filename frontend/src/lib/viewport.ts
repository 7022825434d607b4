/**
 * The screen <-> image transform of the labeling canvas.
 *
 * Image coordinates are float pixels of the upright image, origin top-left;
 * pixel i covers [i, i+1). Screen coordinates are CSS pixels relative to the
 * canvas element's top-left corner. screen = image * scale + offset.
 */

export interface Viewport {
  scale: number;
  offsetX: number;
  offsetY: number;
}

export interface Point {
  x: number;
  y: number;
}

export const MIN_SCALE = 1 / 64;
export const MAX_SCALE = 64;

export function imageToScreen(view: Viewport, point: Point): Point {
  return { x: point.x * view.scale + view.offsetX, y: point.y * view.scale + view.offsetY };
}

export function screenToImage(view: Viewport, point: Point): Point {
  return {
    x: (point.x - view.offsetX) / view.scale,
    y: (point.y - view.offsetY) / view.scale,
  };
}

/** Index of the image pixel under a screen point (pixel i covers [i, i+1)). */
export function pixelAt(view: Viewport, point: Point): Point {
  const image = screenToImage(view, point);
  return { x: Math.floor(image.x), y: Math.floor(image.y) };
}

/** Scale and centre the whole image inside the view, with a margin in screen px. */
export function fit(
  imageWidth: number,
  imageHeight: number,
  viewWidth: number,
  viewHeight: number,
  margin = 0,
): Viewport {
  const scale = Math.min(
    (viewWidth - 2 * margin) / imageWidth,
    (viewHeight - 2 * margin) / imageHeight,
  );
  return {
    scale,
    offsetX: (viewWidth - imageWidth * scale) / 2,
    offsetY: (viewHeight - imageHeight * scale) / 2,
  };
}

/** Zoom by a factor keeping the image point under `anchor` (screen) fixed. */
export function zoomAt(view: Viewport, factor: number, anchor: Point): Viewport {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * factor));
  const image = screenToImage(view, anchor);
  return { scale, offsetX: anchor.x - image.x * scale, offsetY: anchor.y - image.y * scale };
}

export function pan(view: Viewport, dx: number, dy: number): Viewport {
  return { ...view, offsetX: view.offsetX + dx, offsetY: view.offsetY + dy };
}

/** Zoom factor for one wheel event; 100 px of scroll doubles or halves. */
export function wheelFactor(deltaY: number): number {
  return Math.pow(2, -deltaY / 100);
}

/** Round an image coordinate to the nearest pixel edge, clamped to [0, size]. */
export function snapEdge(value: number, size: number): number {
  return Math.min(size, Math.max(0, Math.round(value)));
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A box from two image points: snapped to pixel edges and clipped to the image. */
export function boxFromCorners(a: Point, b: Point, width: number, height: number): Rect {
  const x0 = snapEdge(Math.min(a.x, b.x), width);
  const x1 = snapEdge(Math.max(a.x, b.x), width);
  const y0 = snapEdge(Math.min(a.y, b.y), height);
  const y1 = snapEdge(Math.max(a.y, b.y), height);
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** Move a box by (dx, dy) image pixels, kept inside the image. */
export function moveBox(box: Rect, dx: number, dy: number, width: number, height: number): Rect {
  const x = Math.min(Math.max(0, box.x + dx), Math.max(0, width - box.w));
  const y = Math.min(Math.max(0, box.y + dy), Math.max(0, height - box.h));
  return { ...box, x, y };
}

export type Handle = "nw" | "n" | "ne" | "e" | "se" | "s" | "sw" | "w";

/** Resize a box by dragging one handle to an image point; edges swap if crossed.
 *
 * Only the dragged edges snap to whole pixels; the others keep their values, so
 * a fractional model box is not silently moved by a resize of another edge.
 */
export function resizeBox(
  box: Rect,
  handle: Handle,
  to: Point,
  width: number,
  height: number,
): Rect {
  let x0 = box.x;
  let y0 = box.y;
  let x1 = box.x + box.w;
  let y1 = box.y + box.h;
  if (handle.includes("w")) x0 = snapEdge(to.x, width);
  if (handle.includes("e")) x1 = snapEdge(to.x, width);
  if (handle.includes("n")) y0 = snapEdge(to.y, height);
  if (handle.includes("s")) y1 = snapEdge(to.y, height);
  return {
    x: Math.min(x0, x1),
    y: Math.min(y0, y1),
    w: Math.abs(x1 - x0),
    h: Math.abs(y1 - y0),
  };
}

/** Handle positions of a box in image coordinates. */
export function handles(box: Rect): Record<Handle, Point> {
  const cx = box.x + box.w / 2;
  const cy = box.y + box.h / 2;
  const r = box.x + box.w;
  const b = box.y + box.h;
  return {
    nw: { x: box.x, y: box.y },
    n: { x: cx, y: box.y },
    ne: { x: r, y: box.y },
    e: { x: r, y: cy },
    se: { x: r, y: b },
    s: { x: cx, y: b },
    sw: { x: box.x, y: b },
    w: { x: box.x, y: cy },
  };
}
