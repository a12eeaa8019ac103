// The worker thread's side of MarkdownRenderer. Plain JavaScript so that any Node can start it; it
// registers tsx to load the TypeScript renderer, says it is ready, then answers one render per message.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { MarkdownRefused, renderMarkdown } = await import('./markdown.ts');
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
