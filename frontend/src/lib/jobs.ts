/** Following a background job (pre-label, retrain, cleaning) until it ends. */

import { api } from "./api";
import type { Job } from "./types";

/** How often a job's state is asked for, in milliseconds. */
export const POLL_MS = 400;

/** Queued or running: the job has not ended yet. */
export function isRunning(job: Job<unknown> | null): boolean {
  return job !== null && (job.state === "queued" || job.state === "running");
}

/**
 * Ask for the job's state until it ends, handing each state to ``seen``;
 * the ended job. Stops early, returning the last state seen, once ``alive``
 * says the screen that asked is gone.
 */
export async function followJob<R>(
  job: Job<R>,
  seen: (job: Job<R>) => void,
  { alive = () => true, every = POLL_MS }: { alive?: () => boolean; every?: number } = {},
): Promise<Job<R>> {
  let current = job;
  while (isRunning(current) && alive()) {
    await new Promise((resolve) => setTimeout(resolve, every));
    if (!alive()) break;
    current = await api.job<R>(current.id);
    seen(current);
  }
  return current;
}
