/** The JSON shapes of the Annotary API (core types, see src/annotary/core). */

export interface User {
  id: number;
  username: string;
  is_admin: boolean;
}

export interface AttributeSpec {
  name: string;
  kind: "bool" | "choice" | "text" | "number";
  options: string[];
  default?: unknown;
}

export interface Label {
  name: string;
  color: string;
  hotkey: string | null;
  description: string;
  attributes: AttributeSpec[];
}

export type Tool =
  | "class"
  | "bbox"
  | "polygon"
  | "mask"
  | "keypoints"
  | "span"
  | "relation"
  | "segment"
  | "transcript"
  | "track"
  | "cuboid";

export interface LabelSchema {
  labels: Label[];
  tools: Tool[];
  multi_label: boolean;
  allow_overlap: boolean;
  ordinal?: boolean;
}

export type DataKind = "image" | "text" | "audio" | "video" | "pointcloud";

export interface ProjectSettings {
  overlap: number;
  queue_order: "sequential" | "random" | "uncertainty";
  retrain_every?: number | null;
  review_policy?: "none" | "all" | "sample" | "disagreements";
  review_sample_rate?: number;
  gold_rate?: number;
  gold_feedback?: boolean;
  show_others_annotations?: boolean;
  [key: string]: unknown;
}

export interface Counts {
  total: number;
  new: number;
  in_progress: number;
  done: number;
  reviewed: number;
  excluded: number;
}

export interface Project {
  id: number;
  name: string;
  kind: DataKind;
  description: string;
  settings: ProjectSettings;
  label_schema: LabelSchema;
  guideline_version: number;
  role?: string;
  counts?: Counts;
}

export interface MediaRef {
  path: string;
  mime: string | null;
  width: number | null;
  height: number | null;
  original_name?: string | null;
}

export interface Item {
  id: number;
  project_id: number;
  external_id: string | null;
  text: string | null;
  media: MediaRef | null;
  meta: Record<string, unknown>;
  status: string;
  split: string | null;
  excluded: boolean;
  exclude_reason?: string | null;
  flags: Record<string, unknown>[];
  annotation_count?: number;
  labels?: string[];
  annotators?: string[];
}

interface RegionBase {
  id: string;
  label: string | null;
  score?: number | null;
  attributes?: Record<string, unknown>;
}

export interface ClassRegion extends RegionBase {
  type: "class";
  labels: string[];
}

export interface BoxRegion extends RegionBase {
  type: "bbox";
  x: number;
  y: number;
  w: number;
  h: number;
  rotation?: number;
}

export interface SpanRegion extends RegionBase {
  type: "span";
  start: number;
  end: number;
  text?: string | null;
}

export type Region = ClassRegion | BoxRegion | SpanRegion;

export interface Annotation {
  id: number | null;
  item_id: number;
  regions: Region[];
  user_id?: number | null;
  author?: string | null;
  origin: "human" | "model" | "consensus" | "imported";
  model_name?: string | null;
  model_version?: string | null;
  parent_id?: number | null;
  guideline_version?: number | null;
  state: "draft" | "submitted" | "accepted" | "rejected";
  lead_time?: number | null;
  version: number;
  updated_at?: string | null;
}

export interface Guideline {
  version: number;
  text: string;
  schema: LabelSchema;
  created_at?: string | null;
  created_by?: string | null;
}

export interface Member {
  user_id: number;
  username?: string;
  role: string;
}

export interface ItemPage {
  items: Item[];
  next_cursor: string | null;
  total: number;
}

/** One cleaning finding about one item, with the item's current state. */
export interface CleanFlag {
  id: number;
  item_id: number;
  check: string;
  score: number;
  reason: string;
  cluster: string | null;
  data: Record<string, unknown>;
  decision: string | null;
  excluded: boolean;
  exclude_reason: string | null;
  external_id: string | null;
  annotation_count: number;
  /** What the screen shows of the item: a text snippet (the whole text for a
   * mojibake flag), or the media file's name, type and size. */
  preview: {
    text: string | null;
    name: string | null;
    mime: string | null;
    width: number | null;
    height: number | null;
  };
}

export interface CleanCluster {
  cluster: string;
  check: string;
  representative: number;
  size: number;
  members: CleanFlag[];
}

export interface CleanReport {
  kind: string;
  items: number;
  checks: { name: string; params: Record<string, unknown>; flagged: number; clusters: number }[];
  counts: Record<string, number>;
  flags: number;
  seconds: number;
}

export type CleanDecision = "keep" | "exclude" | "restore";

export interface CleanRun extends CleanReport {
  id: number;
  at: string | null;
  by: string | null;
  decisions: { keep: number; exclude: number; restore: number; repair: number };
}

export interface RepairDone {
  item_id: number;
  revision: number;
  text: string;
}

export interface DecisionCounts {
  keep: number;
  exclude: number;
  restore: number;
}

/** Items that are the same (or near) yet sit in different splits: item id -> split. */
export interface LeakGroup {
  key: string;
  items: Record<string, string>;
}

export interface LeakageReport {
  exact: LeakGroup[];
  near: LeakGroup[];
}

export interface SplitRequest {
  strategy: "random" | "stratified";
  ratios: Record<string, number>;
  seed: number;
  group_by: string | null;
  by_clusters: boolean;
  preview: boolean;
}

export interface SplitResult {
  counts: Record<string, number>;
  by_label: Record<string, Record<string, number>>;
  warnings: string[];
  leakage: LeakageReport;
  stored: boolean;
}

export interface SplitSummary {
  counts: Record<string, number>;
  unassigned: number;
  excluded: number;
}

export interface Snapshot {
  id: number;
  name: string;
  project_id: number;
  format: string;
  created_at: string;
  guideline_version: number;
  counts: { items: number; annotations: number };
  splits: Record<string, number>;
  excluded: number;
  files: number;
  manifest_sha256: string;
}

export interface Manifest {
  snapshot: string;
  format: string;
  created_at: string;
  created_by: string | null;
  guideline_version: number;
  counts: { items: number; annotations: number };
  items: { id: number; split: string | null; annotations: [number, number][] }[];
  files: Record<string, string>;
}

export interface SnapshotDiff {
  old: { id: number; name: string };
  new: { id: number; name: string };
  items_added: number[];
  items_removed: number[];
  items_changed: number[];
  annotations_added: number[];
  annotations_removed: number[];
  annotations_edited: number[];
  split_changed: { item: number; before: string | null; after: string | null }[];
  guideline_version: [number, number];
  files_changed: string[];
}

export interface ExportFormat {
  name: string;
  description: string;
}

export interface ExportReport {
  format: string;
  items: number;
  annotations: number;
  regions: number;
  left_out: Record<string, number>;
  warnings: string[];
  warnings_total: number;
}

/** A registered pre-labeler, as the model list endpoint gives it. */
export interface ModelInfo {
  name: string;
  kinds: string[];
  summary: string;
  trains: boolean;
  /** Options it cannot run without (http.v1 needs a url); the dialog sets none. */
  required_options: string[];
  /** Region types it makes; empty for a remote model that may make any. */
  regions: string[];
}

/** A background job; ``R`` is the shape of its result when done. */
export interface Job<R = Record<string, unknown>> {
  id: number;
  project_id: number | null;
  kind: string;
  state: "queued" | "running" | "done" | "failed" | "cancelled";
  progress: number;
  total: number | null;
  result: R | null;
  error: string | null;
}

export interface EditCounts {
  boxes_kept: number;
  boxes_moved: number;
  boxes_relabeled: number;
  boxes_deleted: number;
  boxes_added: number;
  spans_kept: number;
  spans_resized: number;
  spans_relabeled: number;
  spans_deleted: number;
  spans_added: number;
  classes_kept: number;
  classes_changed: number;
  classes_deleted: number;
  classes_added: number;
  [key: string]: number | number[];
}

export interface ModelAssistance {
  model_name: string;
  model_version: string;
  items: number;
  counts: EditCounts;
  precision: number | null;
  final_share: number | null;
  median_seconds: number | null;
  /** Post-edits of these suggestions that a reviewer rejected (counted above too). */
  rejected: number;
}

export interface AssistanceReport {
  models: ModelAssistance[];
  unassisted_items: number;
  unassisted_median_seconds: number | null;
}

/** One retrain: held-out accuracy after it (a learning-curve point). */
export interface CurvePoint {
  model_name: string;
  model_version: string;
  labelled: number;
  trained_on: number;
  held_out: number;
  accuracy: number | null;
  reranked: number;
  at: string;
}

/** One audit-log event (services/review.audit_log): who changed what, and when. */
export interface AuditEvent {
  id: number;
  action: string;
  target: string | null;
  /** The user name; null for work done outside a session (CLI, imports). */
  user: string | null;
  data: Record<string, unknown>;
  /** ISO 8601 with the UTC offset. */
  at: string;
}

export interface AuditQuery {
  limit?: number;
  /** Only events with a smaller id: the last id of the page before. */
  before?: number;
  action?: string;
  user?: string;
}
