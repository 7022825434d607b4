import { describe as suite, expect, it } from "vitest";
import { describe } from "./describe";
import type { Region } from "./types";

suite("describe", () => {
  it("names classes, spans and boxes", () => {
    expect(describe({ type: "class", labels: ["pos"] } as unknown as Region)).toBe("pos");
    expect(describe({ type: "span", label: "PER", start: 0, end: 5 } as unknown as Region)).toBe(
      "PER [0, 5)",
    );
    expect(
      describe({ type: "bbox", label: "cat", x: 1.4, y: 2, w: 10, h: 20.6 } as unknown as Region),
    ).toBe("cat box 1,2 10×21");
  });
});
