/** Text for the audit screen: event data as `key: value` and times in local time. */

const MAX_ITEMS = 5;
const MAX_STRING = 80;

/** One value, compact: strings as they are, lists and objects in brackets. */
export function compact(value: unknown, depth = 0): string {
  if (value === null || value === undefined) return "none";
  if (typeof value === "string") return value === "" ? '""' : clip(value, MAX_STRING);
  if (typeof value !== "object") return String(value);
  if (depth >= 2) return Array.isArray(value) ? "[…]" : "{…}";
  if (Array.isArray(value)) {
    const shown = value.slice(0, MAX_ITEMS).map((v) => compact(v, depth + 1));
    const more = value.length - shown.length;
    return `[${shown.join(", ")}${more > 0 ? `, … ${more} more` : ""}]`;
  }
  const pairs = Object.entries(value as Record<string, unknown>);
  return `{${pairs.map(([k, v]) => `${k}: ${compact(v, depth + 1)}`).join(", ")}}`;
}

/** An event's data as `key: value; key: value` ("" when it holds nothing). */
export function details(data: Record<string, unknown> | null | undefined): string {
  return Object.entries(data ?? {})
    .map(([key, value]) => `${key}: ${compact(value)}`)
    .join("; ");
}

/** The server's time in UTC; a time without an offset is UTC too. */
export function parseTime(iso: string): Date {
  const zoned = /(Z|[+-]\d\d:?\d\d)$/i.test(iso);
  return new Date(zoned ? iso : `${iso}Z`);
}

/** Local date and time to the second, in the browser's locale. */
export function localTime(iso: string): string {
  const at = parseTime(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return at.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** What a bare numeric target is, by the action's first word. */
const TARGET_KINDS: Record<string, string> = {
  annotation: "annotation",
  review: "annotation",
  item: "item",
  queue: "item",
  member: "user",
};

/**
 * An event's target in words: "item 621" rather than "621" where the action
 * says what the number is; other targets (names, "item:5") as they are.
 */
export function targetText(action: string, target: string | null): string {
  if (target === null) return "";
  const kind = TARGET_KINDS[action.split(".")[0] ?? ""];
  return kind && /^\d+$/.test(target) ? `${kind} ${target}` : target;
}
