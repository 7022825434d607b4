/**
 * A tiny Markdown renderer for guideline text that can never emit markup the
 * author wrote: every character of the input is HTML-escaped first, and only
 * the tags below are produced. Supported: # headings, paragraphs, - and 1.
 * lists, **bold**, *italic*, `code`, fenced code blocks, and [text](url)
 * links with http(s), mailto or relative targets.
 */

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

function safeUrl(url: string): string | null {
  const trimmed = url.trim();
  if (/^(https?:|mailto:)/i.test(trimmed)) return trimmed;
  if (/^[a-z][a-z0-9+.-]*:/i.test(trimmed)) return null;
  return trimmed;
}

/** Inline rules over already escaped text. */
function inline(escaped: string): string {
  return escaped
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^*])\*([^*]+)\*/g, "$1<em>$2</em>")
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_all, text: string, url: string) => {
      const target = safeUrl(url);
      if (target === null) return text;
      return `<a href="${target}" rel="noopener noreferrer" target="_blank">${text}</a>`;
    });
}

type Block = { kind: "p" | "ul" | "ol" | "pre"; lines: string[] };

function flush(blocks: string[], block: Block | null): void {
  if (!block || block.lines.length === 0) return;
  if (block.kind === "pre") {
    blocks.push(`<pre><code>${block.lines.join("\n")}</code></pre>`);
  } else if (block.kind === "p") {
    blocks.push(`<p>${block.lines.map(inline).join(" ")}</p>`);
  } else {
    const items = block.lines.map((line) => `<li>${inline(line)}</li>`).join("");
    blocks.push(`<${block.kind}>${items}</${block.kind}>`);
  }
}

export function renderMarkdown(source: string): string {
  const blocks: string[] = [];
  let block = null as Block | null;

  for (const raw of escapeHtml(source).split(/\r?\n/)) {
    if (block?.kind === "pre") {
      if (raw.trim().startsWith("```")) {
        flush(blocks, block);
        block = null;
      } else {
        block.lines.push(raw);
      }
      continue;
    }

    const heading = /^(#{1,6})\s+(.*)$/.exec(raw);
    const bullet = /^\s*[-*]\s+(.*)$/.exec(raw);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(raw);

    const listed = block?.kind === "ul" || block?.kind === "ol";
    if (listed && !bullet && !numbered && /^\s+\S/.test(raw)) {
      // An indented line continues the list item above it.
      const lines = block!.lines;
      lines[lines.length - 1] += ` ${raw.trim()}`;
    } else if (raw.trim().startsWith("```")) {
      flush(blocks, block);
      block = { kind: "pre", lines: [] };
    } else if (heading) {
      flush(blocks, block);
      block = null;
      const level = heading[1].length;
      blocks.push(`<h${level}>${inline(heading[2])}</h${level}>`);
    } else if (bullet || numbered) {
      const kind = bullet ? "ul" : "ol";
      if (block?.kind !== kind) {
        flush(blocks, block);
        block = { kind, lines: [] };
      }
      block.lines.push((bullet ?? numbered)![1]);
    } else if (raw.trim() === "") {
      flush(blocks, block);
      block = null;
    } else {
      if (block?.kind !== "p") {
        flush(blocks, block);
        block = { kind: "p", lines: [] };
      }
      block.lines.push(raw.trim());
    }
  }
  flush(blocks, block);
  return blocks.join("\n");
}
