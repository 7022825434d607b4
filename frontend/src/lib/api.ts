/**
 * The HTTP client of the UI: same-origin fetch with the session cookie, the
 * CSRF header on writes, and errors as ApiError objects with code and message.
 */
import type {
  Annotation,
  AssistanceReport,
  CurvePoint,
  Job,
  ModelInfo,
  CleanCluster,
  CleanDecision,
  CleanFlag,
  CleanReport,
  CleanRun,
  RepairDone,
  DecisionCounts,
  ExportFormat,
  ExportReport,
  Guideline,
  Item,
  ItemPage,
  LabelSchema,
  LeakageReport,
  Manifest,
  Member,
  Project,
  Region,
  Snapshot,
  SnapshotDiff,
  SplitRequest,
  SplitResult,
  SplitSummary,
  User,
  AuditEvent,
  AuditQuery,
} from "./types";

export const API = "/api/v1";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(status: number, code: string, message: string, details = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }

  get isConflict(): boolean {
    return this.status === 409;
  }
}

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Error text a person can act on, by HTTP status, when the body says nothing. */
function fallbackMessage(status: number): string {
  if (status === 401) return "Your session has expired. Please log in again.";
  if (status === 403) return "You do not have permission to do this.";
  if (status === 404) return "Not found.";
  if (status === 0) return "The server cannot be reached.";
  return `The server answered ${status}.`;
}

export async function toApiError(response: Response): Promise<ApiError> {
  let body: { code?: string; message?: string; details?: Record<string, unknown> } = {};
  try {
    body = await response.json();
  } catch {
    // A proxy or a crash may answer with HTML; the status still says enough.
  }
  const code = body.code ?? `http.${response.status}`;
  const message = body.message ?? fallbackMessage(response.status);
  return new ApiError(response.status, code, message, body.details ?? {});
}

export class Client {
  csrf: string | null = null;
  onUnauthenticated: ((error: ApiError) => void) | null = null;
  private readonly fetcher: Fetch;

  constructor(fetcher: Fetch = (input, init) => fetch(input, init)) {
    this.fetcher = fetcher;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined && !(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
    }
    if (WRITES.has(method) && this.csrf) headers["X-CSRF-Token"] = this.csrf;

    let response: Response;
    try {
      response = await this.fetcher(API + path, {
        method,
        headers,
        credentials: "same-origin",
        body:
          body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, "network", fallbackMessage(0));
    }

    if (!response.ok) {
      const error = await toApiError(response);
      if (response.status === 401 && !path.startsWith("/auth/")) {
        this.onUnauthenticated?.(error);
      }
      throw error;
    }
    if (response.status === 204) return undefined as T;
    const type = response.headers.get("content-type") ?? "";
    return (type.includes("json") ? await response.json() : await response.blob()) as T;
  }

  async login(username: string, password: string): Promise<User> {
    const result = await this.request<{ user: User; csrf_token: string }>(
      "POST",
      "/auth/login",
      { username, password },
    );
    this.csrf = result.csrf_token;
    return result.user;
  }

  async me(): Promise<User> {
    const result = await this.request<{ user: User; csrf_token: string }>("GET", "/auth/me");
    this.csrf = result.csrf_token;
    return result.user;
  }

  async logout(): Promise<void> {
    await this.request("POST", "/auth/logout");
    this.csrf = null;
  }

  projects(): Promise<Project[]> {
    return this.request("GET", "/projects");
  }

  project(pid: number): Promise<Project> {
    return this.request("GET", `/projects/${pid}`);
  }

  createProject(body: {
    name: string;
    kind: string;
    description?: string;
    label_schema?: LabelSchema;
    guideline_text?: string;
    settings?: Record<string, unknown>;
  }): Promise<Project> {
    return this.request("POST", "/projects", body);
  }

  updateProject(pid: number, body: Record<string, unknown>): Promise<Project> {
    return this.request("PATCH", `/projects/${pid}`, body);
  }

  guidelines(pid: number): Promise<Guideline[]> {
    return this.request("GET", `/projects/${pid}/guidelines`);
  }

  addGuideline(pid: number, text: string, schema: LabelSchema): Promise<Guideline> {
    return this.request("POST", `/projects/${pid}/guidelines`, { text, schema });
  }

  members(pid: number): Promise<Member[]> {
    return this.request("GET", `/projects/${pid}/members`);
  }

  setMember(pid: number, uid: number, role: string): Promise<Member> {
    return this.request("PUT", `/projects/${pid}/members/${uid}`, { role });
  }

  removeMember(pid: number, uid: number): Promise<void> {
    return this.request("DELETE", `/projects/${pid}/members/${uid}`);
  }

  users(): Promise<User[]> {
    return this.request("GET", "/users");
  }

  items(pid: number, query: Record<string, string | number | undefined>): Promise<ItemPage> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== "") params.set(key, String(value));
    }
    return this.request("GET", `/projects/${pid}/items?${params}`);
  }

  item(iid: number): Promise<Item> {
    return this.request("GET", `/items/${iid}`);
  }

  bulk(pid: number, ids: number[], action: "exclude" | "include" | "requeue"): Promise<unknown> {
    return this.request("POST", `/projects/${pid}/items/bulk`, { ids, action });
  }

  annotations(iid: number): Promise<Annotation[]> {
    return this.request("GET", `/items/${iid}/annotations`);
  }

  createAnnotation(
    iid: number,
    body: { regions: Region[]; state: string; lead_time?: number; parent_id?: number | null },
  ): Promise<Annotation> {
    return this.request("POST", `/items/${iid}/annotations`, body);
  }

  updateAnnotation(
    aid: number,
    body: { regions: Region[]; state: string; lead_time?: number; version: number },
  ): Promise<Annotation> {
    return this.request("PUT", `/annotations/${aid}`, body);
  }

  next(pid: number): Promise<{ item: Item; annotation_draft?: Annotation | null } | undefined> {
    return this.request("POST", `/projects/${pid}/queue/next`);
  }

  skip(pid: number, iid: number): Promise<void> {
    return this.request("POST", `/projects/${pid}/queue/${iid}/skip`);
  }

  clean(pid: number, checks?: string[]): Promise<CleanReport> {
    return this.request("POST", `/projects/${pid}/clean`, { checks: checks ?? null });
  }

  /** Queue the checks as a background job; follow it with `job(id)`. */
  cleanJob(pid: number, checks?: string[]): Promise<Job<CleanReport>> {
    return this.request("POST", `/projects/${pid}/clean`, {
      checks: checks ?? null,
      background: true,
    });
  }

  cleanRuns(pid: number): Promise<CleanRun[]> {
    return this.request("GET", `/projects/${pid}/clean/runs`);
  }

  repair(pid: number, iid: number): Promise<RepairDone> {
    return this.request("POST", `/projects/${pid}/items/${iid}/repair`, {});
  }

  repairAll(pid: number): Promise<{ repaired: number[]; offered: number[] }> {
    return this.request("POST", `/projects/${pid}/clean/repairs`);
  }

  flags(
    pid: number,
    query: { check?: string; min_score?: number; limit?: number },
  ): Promise<{ total: number; flags: CleanFlag[] }> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== "") params.set(key, String(value));
    }
    return this.request("GET", `/projects/${pid}/flags?${params}`);
  }

  flagCount(pid: number, check: string, threshold: number): Promise<{ items: number }> {
    const params = new URLSearchParams({ check, threshold: String(threshold) });
    return this.request("GET", `/projects/${pid}/flags/count?${params}`);
  }

  clusters(pid: number): Promise<CleanCluster[]> {
    return this.request("GET", `/projects/${pid}/clusters`);
  }

  decide(
    pid: number,
    decisions: Record<number, CleanDecision>,
    reason?: string,
  ): Promise<DecisionCounts> {
    return this.request("POST", `/projects/${pid}/decisions`, { decisions, reason });
  }

  keepOne(pid: number, clusters?: string[]): Promise<DecisionCounts> {
    return this.request("POST", `/projects/${pid}/clean/keep-one`, {
      clusters: clusters ?? null,
    });
  }

  applySuggestions(pid: number): Promise<DecisionCounts> {
    return this.request("POST", `/projects/${pid}/clean/apply-suggestions`);
  }

  prelabelers(kind?: string): Promise<ModelInfo[]> {
    const query = kind ? `?${new URLSearchParams({ kind })}` : "";
    return this.request("GET", `/prelabelers${query}`);
  }

  prelabel(
    pid: number,
    body: { model: string; filters?: Record<string, unknown>; item_ids?: number[] | null },
  ): Promise<Job> {
    return this.request("POST", `/projects/${pid}/prelabel`, body);
  }

  job<R = Record<string, unknown>>(id: number): Promise<Job<R>> {
    return this.request("GET", `/jobs/${id}`);
  }

  cancelJob(id: number): Promise<Job> {
    return this.request("POST", `/jobs/${id}/cancel`);
  }

  assistance(pid: number): Promise<AssistanceReport> {
    return this.request("GET", `/projects/${pid}/assistance`);
  }

  /** Queue a retrain of the project's text classifier (a learning-curve point). */
  retrain(pid: number): Promise<Job<CurvePoint>> {
    return this.request("POST", `/projects/${pid}/retrain`, {});
  }

  learningCurve(pid: number): Promise<CurvePoint[]> {
    return this.request("GET", `/projects/${pid}/learning-curve`);
  }

  split(pid: number, body: SplitRequest): Promise<SplitResult> {
    return this.request("POST", `/projects/${pid}/splits`, body);
  }

  splits(pid: number): Promise<SplitSummary> {
    return this.request("GET", `/projects/${pid}/splits`);
  }

  leakage(pid: number): Promise<LeakageReport> {
    return this.request("GET", `/projects/${pid}/leakage`);
  }

  snapshots(pid: number): Promise<Snapshot[]> {
    return this.request("GET", `/projects/${pid}/snapshots`);
  }

  createSnapshot(pid: number, body: { name: string | null; format: string }): Promise<Snapshot> {
    return this.request("POST", `/projects/${pid}/snapshots`, body);
  }

  manifest(sid: number): Promise<Manifest> {
    return this.request("GET", `/snapshots/${sid}/manifest`);
  }

  snapshotDiff(old: number, next: number): Promise<SnapshotDiff> {
    return this.request("GET", `/snapshots/${old}/diff/${next}`);
  }

  exportFormats(pid: number): Promise<ExportFormat[]> {
    return this.request("GET", `/projects/${pid}/exports/formats`);
  }

  /** Run an export; the file as a blob, the server's file name and the format's report. */
  async exportProject(
    pid: number,
    format: string,
  ): Promise<{ blob: Blob; filename: string; report: ExportReport | null }> {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (this.csrf) headers["X-CSRF-Token"] = this.csrf;
    let response: Response;
    try {
      response = await this.fetcher(`${API}/projects/${pid}/exports`, {
        method: "POST",
        headers,
        credentials: "same-origin",
        body: JSON.stringify({ format, options: {} }),
      });
    } catch {
      throw new ApiError(0, "network", fallbackMessage(0));
    }
    if (!response.ok) {
      const error = await toApiError(response);
      if (response.status === 401) this.onUnauthenticated?.(error);
      throw error;
    }
    const header = response.headers.get("X-Annotary-Export-Report");
    return {
      blob: await response.blob(),
      filename: filenameOf(response.headers.get("Content-Disposition")) ?? `export-${format}`,
      report: header ? (JSON.parse(header) as ExportReport) : null,
    };
  }

  /** Audit events, newest first (managers); page back with `before`. */
  audit(pid: number, query: AuditQuery = {}): Promise<AuditEvent[]> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== "") params.set(key, String(value));
    }
    return this.request("GET", `/projects/${pid}/audit?${params}`);
  }

  /** The action names in the project's audit log, sorted. */
  auditActions(pid: number): Promise<string[]> {
    return this.request("GET", `/projects/${pid}/audit/actions`);
  }
}

/** The file name a Content-Disposition header gives, or null. */
export function filenameOf(disposition: string | null): string | null {
  if (!disposition) return null;
  const star = /filename\*=(?:UTF-8'')?([^;]+)/i.exec(disposition);
  if (star) return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ""));
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  return plain ? plain[1].trim() : null;
}

export function snapshotDownloadUrl(sid: number): string {
  return `${API}/snapshots/${sid}/download`;
}

export function mediaUrl(iid: number): string {
  return `${API}/items/${iid}/media`;
}

export const api = new Client();
