/** The headings and fenced code blocks of a Markdown page, which is all the reference parsers read. */

export interface Heading {
  readonly level: number;
  /** The heading's text as written. */
  readonly text: string;
}

export interface CodeBlock {
  /** The fence's language, '' when none. */
  readonly lang: string;
  readonly lines: string[];
  /** Indexes into `headings` of the sections the block is in, outermost first. */
  readonly within: number[];
}

export function parseMarkdown(markdown: string): { headings: Heading[]; blocks: CodeBlock[] } {
  const headings: Heading[] = [];
  const blocks: CodeBlock[] = [];
  let open: number[] = [];
  let code: { lang: string; lines: string[] } | undefined;
  for (const line of markdown.split('\n')) {
    if (code) {
      if (/^\s*```\s*$/.test(line)) {
        blocks.push({ ...code, within: [...open] });
        code = undefined;
      } else code.lines.push(line);
      continue;
    }
    const fence = /^\s*```\s*([A-Za-z]*)/.exec(line);
    if (fence) {
      code = { lang: fence[1], lines: [] };
      continue;
    }
    const h = /^(#{1,6})\s+(.*?)\s*$/.exec(line);
    if (h) {
      const level = h[1].length;
      open = open.filter((i) => headings[i].level < level);
      open.push(headings.length);
      headings.push({ level, text: h[2] });
    }
  }
  return { headings, blocks };
}

export const isYaml = (b: CodeBlock, orUnlabelled = false): boolean => b.lang === 'yaml' || b.lang === 'yml' || (orUnlabelled && b.lang === '');
