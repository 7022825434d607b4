import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "./api";
import { followJob, isRunning } from "./jobs";
import type { Job } from "./types";

const job = (state: Job["state"], progress = 0): Job => ({
  id: 7,
  project_id: 1,
  kind: "retrain",
  state,
  progress,
  total: 2,
  result: null,
  error: null,
});

afterEach(() => vi.restoreAllMocks());

describe("followJob", () => {
  it("asks until the job ends and hands over every state", async () => {
    const answers = [job("running", 1), job("running", 2), job("done", 2)];
    const asked = vi.spyOn(api, "job").mockImplementation(async () => answers.shift()!);
    const seen: string[] = [];
    const ended = await followJob(job("queued"), (j) => seen.push(`${j.state}:${j.progress}`), {
      every: 1,
    });
    expect(ended.state).toBe("done");
    expect(seen).toEqual(["running:1", "running:2", "done:2"]);
    expect(asked).toHaveBeenCalledTimes(3);
  });

  it("asks nothing for a job that has ended, and stops once the screen is gone", async () => {
    const asked = vi.spyOn(api, "job").mockImplementation(async () => job("running"));
    expect((await followJob(job("failed"), () => {}, { every: 1 })).state).toBe("failed");
    expect(asked).not.toHaveBeenCalled();
    let calls = 0;
    const ended = await followJob(job("running"), () => calls++, {
      every: 1,
      alive: () => calls < 2,
    });
    expect(ended.state).toBe("running");
    expect(calls).toBe(2);
  });

  it("tells running from ended", () => {
    expect([job("queued"), job("running"), job("done"), null].map(isRunning)).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});
