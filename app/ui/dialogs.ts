// Modal questions for the disk manager, as <dialog>s: the browser traps focus, Escape cancels,
// and the buttons are ordinary buttons — keyboard and screen-reader friendly, and testable by
// role and name.

import { h, type Child } from '../dom.ts';

/** Ask; resolves true only if the user presses the confirming button. */
export function confirmDialog(title: string, body: Child, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ok = h('button', { type: 'button', class: 'danger' }, confirmLabel);
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const dialog = h(
      'dialog',
      { 'aria-label': title },
      h('h3', {}, title),
      h('p', {}, body),
      h('div', { class: 'controls' }, ok, cancel),
    );
    const finish = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    ok.addEventListener('click', () => finish(true));
    cancel.addEventListener('click', () => finish(false));
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      finish(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
