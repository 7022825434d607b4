import { describe, expect, it } from "vitest";
import { ApiError, Client, filenameOf } from "./api";

describe("filenameOf", () => {
  it.each([
    ['attachment; filename="cats-coco.v1.json"', "cats-coco.v1.json"],
    ["attachment; filename=plain.zip", "plain.zip"],
    ["attachment; filename*=UTF-8''caf%C3%A9-jsonl.v1.jsonl", "café-jsonl.v1.jsonl"],
    [null, null],
    ["inline", null],
  ])("reads %s", (header, want) => {
    expect(filenameOf(header)).toBe(want);
  });
});

describe("exportProject", () => {
  it("returns the file, its name and the report header, sending the CSRF token", async () => {
    const seen: RequestInit[] = [];
    const client = new Client(async (_url, init) => {
      seen.push(init ?? {});
      return new Response("a,b\n1,2\n", {
        status: 200,
        headers: {
          "content-disposition": 'attachment; filename="p-csv.v1.csv"',
          "x-annotary-export-report": JSON.stringify({
            format: "csv.v1",
            items: 2,
            annotations: 1,
            regions: 1,
            left_out: {},
            warnings: [],
            warnings_total: 0,
          }),
        },
      });
    });
    client.csrf = "tok";
    const done = await client.exportProject(3, "csv.v1");
    expect(done.filename).toBe("p-csv.v1.csv");
    expect(done.report?.items).toBe(2);
    expect(await done.blob.text()).toBe("a,b\n1,2\n");
    expect((seen[0].headers as Record<string, string>)["X-CSRF-Token"]).toBe("tok");
    expect(seen[0].body).toBe('{"format":"csv.v1","options":{}}');
  });

  it("turns an error body into an ApiError", async () => {
    const client = new Client(
      async () =>
        new Response(JSON.stringify({ code: "annotary.invalid", message: "no format", details: {} }), {
          status: 422,
          headers: { "content-type": "application/json" },
        }),
    );
    const error = await client.exportProject(3, "nope").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, code: "annotary.invalid", message: "no format" });
  });
});
