/** Which rows of a virtualised list to render for a scroll position. */
export interface RowWindow {
  first: number;
  last: number;
  padTop: number;
  padBottom: number;
}

export function rowWindow(
  scrollTop: number,
  viewHeight: number,
  rowHeight: number,
  total: number,
  overscan = 5,
): RowWindow {
  if (total <= 0) return { first: 0, last: -1, padTop: 0, padBottom: 0 };
  const top = Math.max(0, scrollTop);
  const first = Math.max(0, Math.floor(top / rowHeight) - overscan);
  const last = Math.min(total - 1, Math.ceil((top + viewHeight) / rowHeight) + overscan);
  return {
    first,
    last,
    padTop: first * rowHeight,
    padBottom: (total - 1 - last) * rowHeight,
  };
}
