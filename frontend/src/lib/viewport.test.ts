import { describe, expect, it } from "vitest";
import {
  boxFromCorners,
  fit,
  handles,
  imageToScreen,
  moveBox,
  pan,
  pixelAt,
  resizeBox,
  screenToImage,
  wheelFactor,
  zoomAt,
} from "./viewport";

describe("transform", () => {
  const view = { scale: 2, offsetX: 10, offsetY: 20 };

  it.each([
    [{ x: 0, y: 0 }, { x: 10, y: 20 }],
    [{ x: 5, y: 7.5 }, { x: 20, y: 35 }],
    [{ x: -1, y: 100 }, { x: 8, y: 220 }],
  ])("maps image %o to screen %o and back", (image, screen) => {
    expect(imageToScreen(view, image)).toEqual(screen);
    expect(screenToImage(view, screen)).toEqual(image);
  });

  it.each([
    // Pixel 0 covers image [0, 1): screen [10, 12) at scale 2.
    [{ x: 10, y: 20 }, { x: 0, y: 0 }],
    [{ x: 11.9, y: 21.9 }, { x: 0, y: 0 }],
    [{ x: 12, y: 22 }, { x: 1, y: 1 }],
    [{ x: 9.9, y: 19 }, { x: -1, y: -1 }],
  ])("screen %o lies on pixel %o", (screen, pixel) => {
    expect(pixelAt(view, screen)).toEqual(pixel);
  });
});

describe("fit", () => {
  it("fits a wide image to the width and centres it", () => {
    // 800x600 in 400x400: scale 0.5, image 400x300, 50 px above and below.
    expect(fit(800, 600, 400, 400)).toEqual({ scale: 0.5, offsetX: 0, offsetY: 50 });
  });

  it("fits a tall image with a margin", () => {
    // 100x400 in 500x220 with 10 margin: scale min(4.8, 0.5) = 0.5.
    expect(fit(100, 400, 500, 220, 10)).toEqual({ scale: 0.5, offsetX: 225, offsetY: 10 });
  });
});

describe("zoom and pan", () => {
  it("keeps the anchor point fixed while zooming", () => {
    const view = { scale: 1, offsetX: 0, offsetY: 0 };
    const zoomed = zoomAt(view, 2, { x: 100, y: 50 });
    expect(zoomed).toEqual({ scale: 2, offsetX: -100, offsetY: -50 });
    expect(screenToImage(zoomed, { x: 100, y: 50 })).toEqual({ x: 100, y: 50 });
  });

  it("clamps the scale", () => {
    const view = { scale: 32, offsetX: 0, offsetY: 0 };
    expect(zoomAt(view, 8, { x: 0, y: 0 }).scale).toBe(64);
  });

  it("pans by screen pixels", () => {
    expect(pan({ scale: 3, offsetX: 1, offsetY: 2 }, 5, -4)).toEqual({
      scale: 3,
      offsetX: 6,
      offsetY: -2,
    });
  });

  it.each([
    [-100, 2],
    [100, 0.5],
    [0, 1],
  ])("wheel delta %i zooms by %f", (delta, factor) => {
    expect(wheelFactor(delta)).toBeCloseTo(factor, 12);
  });
});

describe("boxes", () => {
  it("snaps corners to pixel edges and orders them", () => {
    expect(boxFromCorners({ x: 30.6, y: 40.2 }, { x: 10.4, y: 5.5 }, 100, 100)).toEqual({
      x: 10,
      y: 6,
      w: 21,
      h: 34,
    });
  });

  it("clips to the image", () => {
    expect(boxFromCorners({ x: -5, y: -5 }, { x: 120, y: 50 }, 100, 80)).toEqual({
      x: 0,
      y: 0,
      w: 100,
      h: 50,
    });
  });

  it("moves by whole pixels and stays inside", () => {
    const box = { x: 10, y: 10, w: 20, h: 20 };
    expect(moveBox(box, 1, 0, 100, 100)).toEqual({ x: 11, y: 10, w: 20, h: 20 });
    expect(moveBox(box, 0, -1, 100, 100)).toEqual({ x: 10, y: 9, w: 20, h: 20 });
    expect(moveBox(box, 100, -100, 100, 100)).toEqual({ x: 80, y: 0, w: 20, h: 20 });
  });

  it("resizes by a corner and swaps crossed edges", () => {
    const box = { x: 10, y: 10, w: 20, h: 20 };
    expect(resizeBox(box, "se", { x: 40.4, y: 35.6 }, 100, 100)).toEqual({
      x: 10,
      y: 10,
      w: 30,
      h: 26,
    });
    expect(resizeBox(box, "w", { x: 35, y: 0 }, 100, 100)).toEqual({
      x: 30,
      y: 10,
      w: 5,
      h: 20,
    });
  });

  it("keeps fractional edges that were not dragged", () => {
    const box = { x: 10.5, y: 10.25, w: 20, h: 20 };
    expect(resizeBox(box, "e", { x: 50, y: 0 }, 100, 100)).toEqual({
      x: 10.5,
      y: 10.25,
      w: 39.5,
      h: 20,
    });
  });

  it("places eight handles", () => {
    const h = handles({ x: 0, y: 0, w: 10, h: 4 });
    expect(h.nw).toEqual({ x: 0, y: 0 });
    expect(h.e).toEqual({ x: 10, y: 2 });
    expect(h.s).toEqual({ x: 5, y: 4 });
  });
});
