/** Quality API calls and the shapes of the quality report (services/quality.py). */

import { api } from "./api";
import type { Annotation, Region } from "./types";

export interface Metric {
  value: number | null;
  n: number;
  undefined?: string;
  items?: number[];
  wrong?: number[];
}

export interface Pair {
  first: string;
  second: string;
  items: number[];
  disagreements: number[];
  [metric: string]: unknown;
}

export interface KindAgreement {
  overall: Record<string, Metric>;
  items: number[];
  disagreements: number[];
  per_label: Record<string, Record<string, Metric | number[]>>;
  per_pair: Pair[];
  categories?: string[];
}

export interface Confusion {
  first: string;
  second: string;
  categories: string[];
  matrix: number[][];
  items: Record<string, number[]>;
}

export interface Card {
  annotator: string;
  annotations: number;
  items_per_hour: Metric;
  median_lead_time: Metric;
  agreement_with_others: Metric;
  gold_accuracy: Metric;
  disagreements: number[];
  items: number[];
}

export interface Day {
  day: string;
  annotations: number;
  median_lead_time: Metric;
  items: number[];
}

export interface QualityCounts {
  items: number;
  annotations: number;
  /** People only: annotations without an annotator are in `unattributed`. */
  annotators: number;
  gold_items: number;
  /** Annotations with neither author nor user: in no card or pair table. */
  unattributed?: number;
}

export interface QualityReport {
  project: { id: number; name: string; kind: string };
  counts: QualityCounts;
  agreement: Record<string, KindAgreement>;
  disagreements: {
    item_id: number;
    kinds: string[];
    annotations: Record<string, number>;
    labels: Record<string, unknown>;
  }[];
  confusion: Confusion[];
  gold: { overall: Metric; per_annotator: Record<string, Metric> };
  rejection: { rate: Metric; reviewed: number; items: number[]; annotations: number[] };
  timeline: Day[];
  annotators: Card[];
  per_guideline_version?: Record<
    string,
    {
      annotations: number;
      agreement: Record<string, Record<string, Metric>>;
      gold: { overall: Metric; per_annotator: Record<string, Metric> };
    }
  >;
}

/** The headline metric of each kind of agreement. */
export const HEADLINE: Record<string, string> = {
  classes: "krippendorff_alpha",
  boxes: "f1",
  shapes: "f1",
  spans: "exact_f1",
  transcripts: "wer",
};

/** The metric shown for one pair of annotators, per kind. */
export const PAIR_METRIC: Record<string, string> = {
  classes: "cohen_kappa",
  boxes: "f1",
  shapes: "f1",
  spans: "exact_f1",
  transcripts: "wer",
};

export function qualityReport(pid: number, guidelineVersion?: number): Promise<QualityReport> {
  const query = guidelineVersion ? `?guideline_version=${guidelineVersion}` : "";
  return api.request("GET", `/projects/${pid}/quality${query}`);
}

export function reviewQueue(pid: number, suspectsOnly = false): Promise<Annotation[]> {
  return api.request(
    "GET",
    `/projects/${pid}/reviews/queue?limit=200&suspects_only=${suspectsOnly}`,
  );
}

export function review(
  aid: number,
  body: {
    decision: "accept" | "reject" | "fix";
    comment?: string;
    regions?: Region[];
    version?: number;
  },
): Promise<{ decision: string; annotation: Annotation; fix: Annotation | null }> {
  return api.request("POST", `/annotations/${aid}/review`, body);
}

export interface GoldFeedback {
  gold: true;
  matched: boolean;
  answer: Region[];
}

/**
 * Feedback on a submitted annotation: null unless its item is gold and the
 * project gives feedback (the server answers 204 then, revealing nothing).
 */
export async function goldFeedback(aid: number): Promise<GoldFeedback | null> {
  const found = await api.request<GoldFeedback | undefined>(
    "GET",
    `/annotations/${aid}/gold-feedback`,
  );
  return found ?? null;
}

export interface ReviewRecord {
  id: number;
  decision: "accept" | "reject" | "fix";
  comment: string;
  reviewer: string | null;
  created_at: string;
}

export function reviewsOf(aid: number): Promise<ReviewRecord[]> {
  return api.request("GET", `/annotations/${aid}/reviews`);
}

export function setGold(pid: number, iid: number, regions: Region[]): Promise<{ stored: number }> {
  return api.request("PUT", `/projects/${pid}/gold`, { answers: { [iid]: regions } });
}

export function goldAnswers(pid: number): Promise<Record<string, Region[]>> {
  return api.request("GET", `/projects/${pid}/gold`);
}

export interface ConsensusOutcome {
  method: string;
  created: number;
  replaced: number;
  items: number[];
  ties: { item_id: number; labels: string[] }[];
  skipped_single: number[];
}

export function buildConsensus(
  pid: number,
  method: "majority" | "dawid_skene",
): Promise<ConsensusOutcome> {
  return api.request("POST", `/projects/${pid}/consensus`, { method });
}

export interface Suspect {
  rank: number;
  item_id: number;
  given: string;
  suggested: string;
  self_confidence: number;
}

export function findLabelErrors(pid: number, top = 50): Promise<Suspect[]> {
  return api.request("POST", `/projects/${pid}/label-errors`, { top });
}

/** A metric for display: fixed digits, or "n/a" (the reason goes in a title). */
export function show(metric: Metric | undefined, digits = 3): string {
  if (!metric || metric.value === null || metric.value === undefined) return "n/a";
  return metric.value.toFixed(digits);
}
