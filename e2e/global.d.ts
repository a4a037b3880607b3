// The page's window.webaio, typed for the closures that page.evaluate() runs.
import type {} from '../app/webaio.ts';
