// The worker thread's side of MarkdownRenderer. Plain JavaScript so that any Node can start it; it
// loads the renderer (the compiled markdown.js beside it in the production build, else the TypeScript
// source through tsx), says it is ready, then answers one render per message.
import { existsSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

const compiled = new URL('./markdown.js', import.meta.url);
if (!existsSync(compiled)) (await import('tsx/esm/api')).register();
const { MarkdownRefused, renderMarkdown } = await import(existsSync(compiled) ? compiled.href : './markdown.ts');
// One render before saying ready, so the first body's deadline is not spent warming the parser up.
renderMarkdown('# Warm\n\n*up* **up** [up](https://example.com)\n\n- a\n\n> b\n\n| c |\n|---|\n| d |\n\n<b>e</b> `f`');

parentPort.on('message', (markdown) => {
  try {
    parentPort.postMessage({ html: renderMarkdown(markdown) });
  } catch (error) {
    if (!(error instanceof MarkdownRefused)) throw error;
    parentPort.postMessage({ refused: error.message });
  }
});
parentPort.postMessage({ ready: true });
