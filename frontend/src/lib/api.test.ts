import { describe, expect, it } from "vitest";
import { ApiError, Client } from "./api";

type Call = { url: string; init: RequestInit };

function fake(status: number, body: unknown, calls: Call[]) {
  return async (url: string, init?: RequestInit): Promise<Response> => {
    calls.push({ url, init: init ?? {} });
    const text = typeof body === "string" ? body : JSON.stringify(body);
    const type = typeof body === "string" ? "text/html" : "application/json";
    return new Response(status === 204 ? null : text, {
      status,
      headers: { "content-type": type },
    });
  };
}

function header(call: Call, name: string): string | undefined {
  return (call.init.headers as Record<string, string>)[name];
}

describe("Client", () => {
  it("keeps the CSRF token from login and sends it on writes only", async () => {
    const calls: Call[] = [];
    const client = new Client(
      fake(200, { user: { id: 1, username: "ann", is_admin: false }, csrf_token: "t0k" }, calls),
    );
    const user = await client.login("ann", "pw");
    expect(user.username).toBe("ann");
    await client.request("GET", "/projects");
    await client.request("PATCH", "/projects/1", { name: "x" });
    expect(calls[0].url).toBe("/api/v1/auth/login");
    expect(calls[0].init.credentials).toBe("same-origin");
    expect(header(calls[1], "X-CSRF-Token")).toBeUndefined();
    expect(header(calls[2], "X-CSRF-Token")).toBe("t0k");
    expect(calls[2].init.body).toBe('{"name":"x"}');
  });

  it.each([
    [401, { code: "annotary.unauthenticated", message: "wrong password" }, "annotary.unauthenticated", "wrong password"],
    [403, "<html>no</html>", "http.403", "You do not have permission to do this."],
    [409, { code: "annotary.conflict.stale", message: "stale", details: { current: { version: 3 } } }, "annotary.conflict.stale", "stale"],
    [500, "", "http.500", "The server answered 500."],
  ])("turns a %i into an ApiError", async (status, body, code, message) => {
    const client = new Client(fake(status, body, []));
    const error = await client.request("GET", "/auth/me").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(status);
    expect((error as ApiError).code).toBe(code);
    expect((error as ApiError).message).toBe(message);
  });

  it("keeps conflict details", async () => {
    const body = { code: "annotary.conflict.stale", message: "m", details: { current: { version: 3 } } };
    const client = new Client(fake(409, body, []));
    const error = (await client.request("PUT", "/annotations/1", {}).catch((e) => e)) as ApiError;
    expect(error.isConflict).toBe(true);
    expect(error.details).toEqual({ current: { version: 3 } });
  });

  it("reports an expired session outside /auth", async () => {
    const seen: string[] = [];
    const client = new Client(fake(401, { code: "annotary.unauthenticated", message: "expired" }, []));
    client.onUnauthenticated = (error) => seen.push(error.message);
    await client.request("GET", "/projects").catch(() => undefined);
    await client.request("GET", "/auth/me").catch(() => undefined);
    expect(seen).toEqual(["expired"]);
  });

  it("answers undefined for 204", async () => {
    const client = new Client(fake(204, "", []));
    expect(await client.request("POST", "/projects/1/queue/next")).toBeUndefined();
  });

  it("reports an unreachable server", async () => {
    const client = new Client(async () => {
      throw new TypeError("Failed to fetch");
    });
    const error = (await client.request("GET", "/health").catch((e) => e)) as ApiError;
    expect(error.status).toBe(0);
    expect(error.message).toBe("The server cannot be reached.");
  });
});
