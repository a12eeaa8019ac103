import { Tokenizer } from 'htmlparser2';
import MarkdownIt from 'markdown-it';
import type { RuleBlock } from 'markdown-it/lib/parser_block.mjs';
import sanitizeHtml from 'sanitize-html';

/**
 * markdown-it parses in time linear in the input (its emphasis and link scanners are bounded,
 * block nesting stops at 100), where marked took seconds on 50 KB of `_a` and overflowed its
 * stack on deep `>` quotes. Raw HTML passes through to the sanitiser, as before. Bare URLs are not
 * linked (`<https://…>` is): markdown-it's linkify looks back over all pending text at each `://`,
 * quadratic on `_ahttp://a.b/` repeated (0.9 s of CPU for 64 KB).
 */
const markdownIt = new MarkdownIt('default', { html: true, linkify: false, typographer: false });
// Link URLs are judged once, by the sanitiser's scheme allow-list, for Markdown links and raw HTML
// alike: a refused link keeps its text and loses its href.
markdownIt.validateLink = () => true;

/**
 * markdown-it's block quote first takes every following line that starts no other block (a lazy
 * continuation), then gives back the lines its content does not take, all of them after an indented
 * code block. Each quote so scans the rest of the document: quadratic (80 KB of `a\n>     b\n` took
 * 4.5 s of CPU, and markdown-it 15 too). The rule runs here on a window of lines that doubles until the
 * quote ends inside it: the same tokens (the quote never looked past where it ended), in time linear
 * in the quote. A window the quote filled is undone (its tokens and any link references it defined).
 */
export function windowBlockquotes(md: MarkdownIt, firstWindow = 64): void {
  const rules = (md.block.ruler as unknown as { __rules__: Array<{ name: string; fn: RuleBlock; alt: string[] }> }).__rules__;
  const { fn: quote, alt } = rules.find((rule) => rule.name === 'blockquote')!;
  const windowed: RuleBlock = (state, startLine, endLine, silent) => {
    if (silent) return quote(state, startLine, endLine, silent);
    for (let window = firstWindow; ; window *= 2) {
      const end = Math.min(endLine, startLine + window);
      const tokens = state.tokens.length;
      const references = new Set(Object.keys(state.env.references ?? {}));
      if (!quote(state, startLine, end, silent)) return false;
      if (state.line < end || end === endLine) return true;
      state.tokens.length = tokens;
      for (const label of Object.keys(state.env.references ?? {})) if (!references.has(label)) delete state.env.references[label];
    }
  };
  md.block.ruler.at('blockquote', windowed, { alt });
}
windowBlockquotes(markdownIt);

export const MEMBER_LINK_REL = 'nofollow ugc noopener';

const sanitizeOptions: sanitizeHtml.IOptions = {
  allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img', 'h1', 'h2', 'del', 's'],
  allowedAttributes: {
    // rel is set by transformTags below (a member's own rel is replaced), and must survive the filter.
    a: ['href', 'title', 'rel'],
    img: ['src', 'alt', 'title'],
    code: ['class'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  transformTags: {
    // Members' links: no endorsement for search engines (nofollow, ugc), no window.opener for the target.
    a: sanitizeHtml.simpleTransform('a', { rel: MEMBER_LINK_REL }),
  },
};

/** Elements nested deeper than this are refused: no article needs them, and they cost quadratic time. */
export const MAX_HTML_DEPTH = 500;

/** Markdown whose HTML cannot be rendered within bounds; the message is for the author. */
export class MarkdownRefused extends Error {}

// The elements htmlparser2 never pushes on its stack of open elements.
const voidElements = new Set(['area', 'base', 'basefont', 'br', 'col', 'command', 'embed', 'frame', 'hr', 'img', 'input', 'isindex', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr']);

/**
 * Whether `html` opens elements more than `max` deep, judged as sanitize-html's parser (htmlparser2)
 * would: its tokenizer, and a stack popped only by a matching end tag (never an implied one, so the
 * depth is never under-estimated). The parser inserts at the front of that stack, so each element
 * costs time in proportion to the depth: 33,000 `<a>` or an emphasis run nesting 25,000 `<em>`
 * took seconds. Linear in the input.
 */
export function nestsDeeperThan(html: string, max: number): boolean {
  const open: string[] = [];
  let tooDeep = false;
  const name = (start: number, end: number) => html.slice(start, end).toLowerCase();
  const ignore = () => {};
  const tokenizer = new Tokenizer(
    { xmlMode: false, decodeEntities: true },
    {
      onopentagname(start, end) {
        const tag = name(start, end);
        if (voidElements.has(tag)) return;
        open.push(tag);
        if (open.length > max) {
          tooDeep = true;
          tokenizer.pause();
        }
      },
      onclosetag(start, end) {
        const at = open.lastIndexOf(name(start, end));
        if (at !== -1) open.length = at;
      },
      onattribdata: ignore,
      onattribentity: ignore,
      onattribend: ignore,
      onattribname: ignore,
      oncdata: ignore,
      oncomment: ignore,
      ondeclaration: ignore,
      onend: ignore,
      onopentagend: ignore,
      onprocessinginstruction: ignore,
      onselfclosingtag: ignore,
      ontext: ignore,
      ontextentity: ignore,
    },
  );
  tokenizer.write(html);
  if (!tooDeep) tokenizer.end();
  return tooDeep;
}

/**
 * Markdown to HTML that is safe to embed: scripts, event handlers and javascript: URLs are removed.
 * Synchronous and CPU-bound: the app calls it through MarkdownRenderer, off the event loop.
 */
export function renderMarkdown(markdown: string): string {
  const html = markdownIt.render(markdown);
  if (nestsDeeperThan(html, MAX_HTML_DEPTH)) {
    throw new MarkdownRefused(`Nested more than ${MAX_HTML_DEPTH} levels deep (HTML elements, emphasis or links): simplify the formatting.`);
  }
  return sanitizeHtml(html, sanitizeOptions);
}

const entities: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

/** Plain text (not HTML: templates escape it) of the first few hundred characters, for listings. */
export function excerpt(safeHtml: string, length = 200): string {
  const text = safeHtml
    // Inline markup joins its words to their neighbours ("acme.example."); a block's edge is a space.
    .replace(/<\/?(a|abbr|b|code|del|em|i|s|span|strong|sub|sup)\b[^>]*>/gi, '')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(amp|lt|gt|quot|#39);/g, (m) => entities[m] ?? m)
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
