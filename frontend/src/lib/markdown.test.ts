import { describe, expect, it } from "vitest";
import { escapeHtml, renderMarkdown } from "./markdown";

describe("renderMarkdown", () => {
  it.each([
    ["heading", "# Boxes", "<h1>Boxes</h1>"],
    ["paragraph joins lines", "one\ntwo", "<p>one two</p>"],
    ["bold and italic", "**tight** *edges*", "<p><strong>tight</strong> <em>edges</em></p>"],
    ["code", "use `Del`", "<p>use <code>Del</code></p>"],
    ["bullets", "- car\n- bus", "<ul><li>car</li><li>bus</li></ul>"],
    ["numbers", "1. draw\n2. label", "<ol><li>draw</li><li>label</li></ol>"],
    ["fenced code", "```\n<b>x</b>\n```", "<pre><code>&lt;b&gt;x&lt;/b&gt;</code></pre>"],
    [
      "link",
      "[spec](https://example.org/a)",
      '<p><a href="https://example.org/a" rel="noopener noreferrer" target="_blank">spec</a></p>',
    ],
    ["CRLF lines", "# A\r\nb", "<h1>A</h1>\n<p>b</p>"],
    ["continued item", "- **a** one\n  two\n- b", "<ul><li><strong>a</strong> one two</li><li>b</li></ul>"],
    ["paragraph after list", "- a\nb", "<ul><li>a</li></ul>\n<p>b</p>"],
  ])("renders %s", (_name, source, html) => {
    expect(renderMarkdown(source)).toBe(html);
  });

  it.each([
    ["script tag", "<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"],
    ["img onerror", '<img src=x onerror="alert(1)">', "<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</p>"],
    ["javascript link", "[x](javascript:alert(1))", "<p>x)</p>"],
    ["data link", "[x](data:text/html,hi)", "<p>x</p>"],
    ["quote breaking out of href", '[x](https://a"onmouseover="b)', "<p><a href=\"https://a&quot;onmouseover=&quot;b\" rel=\"noopener noreferrer\" target=\"_blank\">x</a></p>"],
  ])("neutralises %s", (_name, source, html) => {
    expect(renderMarkdown(source)).toBe(html);
  });

  it("escapes all five HTML metacharacters", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
    );
  });
});
