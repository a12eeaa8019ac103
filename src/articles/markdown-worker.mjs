// The worker thread's side of MarkdownRenderer. Plain JavaScript so that any Node can start it; it
// registers tsx to load the TypeScript renderer, says it is ready, then answers one render per message.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { MarkdownRefused, renderMarkdown } = await import('./markdown.ts');

parentPort.on('message', (markdown) => {
  try {
    parentPort.postMessage({ html: renderMarkdown(markdown) });
  } catch (error) {
    if (!(error instanceof MarkdownRefused)) throw error;
    parentPort.postMessage({ refused: error.message });
  }
});
parentPort.postMessage({ ready: true });
