/** Hash routing: `#/projects/1/label`; no server fallback needed. */

export const route = $state({ path: currentPath() });

function currentPath(): string {
  const hash = typeof location === "undefined" ? "" : location.hash.slice(1);
  return hash || "/";
}

if (typeof window !== "undefined") {
  window.addEventListener("hashchange", () => {
    route.path = currentPath();
  });
}

export function go(path: string): void {
  location.hash = path;
}

/** Match "/projects/:pid/label" against a path; numeric params become numbers. */
export function match(pattern: string, path: string): Record<string, number> | null {
  const want = pattern.split("/");
  const have = path.split("?")[0].split("/");
  if (want.length !== have.length) return null;
  const params: Record<string, number> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(":")) {
      const value = Number(have[i]);
      if (!Number.isInteger(value)) return null;
      params[want[i].slice(1)] = value;
    } else if (want[i] !== have[i]) {
      return null;
    }
  }
  return params;
}
