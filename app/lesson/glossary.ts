// The words the lesson uses, each defined in plain language where the page first shows it: a
// short legend beside the answer, and in-text links to it. The definitions are the design's
// (README "Design"); the seed patch is linked once, here.

import { h } from '../dom.ts';

export const SEED_PATCH_URL = 'https://patchwork.ozlabs.org/patch/112088/';

export const TERMS = [
  [
    'vcpu',
    'vCPU',
    'a virtual CPU: a thread that runs the guest’s code. Here each is a Web Worker; vCPU 0 ' +
      'asks the disk for 64 blocks at once.',
  ],
  [
    'exit',
    'vCPU exit',
    'when the guest touches a device, here by ringing the disk’s doorbell, its vCPU stops ' +
      'running guest code and runs the device’s emulation instead.',
  ],
  [
    'bql',
    'BQL',
    'the big lock (QEMU’s “big QEMU lock”). A vCPU holds it while it emulates a device; any ' +
      'other vCPU that exits meanwhile waits for it.',
  ],
  [
    'worker',
    'pool worker',
    'a helper thread that reads or writes the disk for a request. The pool starts empty and ' +
      'grows on demand, up to 64.',
  ],
  [
    'spawn',
    'spawn_thread',
    'the pool’s function that decides a new worker is needed. Before the patch it also ' +
      'created it, on whichever thread asked: a vCPU holding the BQL.',
  ],
  [
    'bh',
    'bottom half',
    'a short job any thread can schedule for the main thread to run soon. new_thread_bh is ' +
      'the one that creates one pool worker per run.',
  ],
  [
    'main',
    'main thread',
    'the emulator’s own thread (here, the page’s), which runs its main loop: bottom halves, ' +
      'and completing requests.',
  ],
] as const;

export type TermId = (typeof TERMS)[number][0];

/** A term in running text: a link to its definition in the legend. */
export function term(id: TermId, text?: string): HTMLAnchorElement {
  const found = TERMS.find(([key]) => key === id);
  return h('a', { href: `#term-${id}`, class: 'term' }, text ?? found?.[1] ?? id);
}

/** The legend: every term with its definition, and the patch they come from. */
export function glossary(): HTMLElement {
  return h(
    'aside',
    { class: 'glossary', 'aria-labelledby': 'glossary-title' },
    h('h3', { id: 'glossary-title' }, 'Words used here'),
    h(
      'dl',
      {},
      ...TERMS.flatMap(([id, name, text]) => [
        h('dt', { id: `term-${id}` }, h('dfn', {}, name)),
        h('dd', {}, text),
      ]),
    ),
    h(
      'p',
      { class: 'hint' },
      'The patch: ',
      h(
        'a',
        { href: SEED_PATCH_URL, rel: 'noopener', target: '_blank' },
        '“posix-aio-compat: fix latency issues”',
      ),
      ' (Avi Kivity, QEMU, 2011).',
    ),
  );
}
