// The resize question: a new size with its unit; a smaller one needs the box that says what is
// lost ticked (qemu-img resize --shrink).

import { h } from '../dom.ts';
import type { ImageInfo } from '../shared/block/image-format.ts';
import { fmtBytes } from './format.ts';
import { parseSize, SIZE_UNITS } from './size-text.ts';

export interface ResizeAnswer {
  bytes: number;
  shrink: boolean;
}

export function resizeDialog(i: ImageInfo): Promise<ResizeAnswer | undefined> {
  return new Promise((resolve) => {
    const mib = i.virtualSize / 2 ** 20;
    const size = h('input', { name: 'newSize', value: String(mib), inputmode: 'decimal' });
    const unit = h('select', { name: 'newUnit' });
    for (const u of SIZE_UNITS) unit.append(h('option', { value: u, selected: u === 'MiB' }, u));
    const shrink = h('input', { type: 'checkbox', name: 'shrink' });
    const problem = h('p', { role: 'alert', class: 'problem' });
    const ok = h('button', { type: 'submit' }, 'Resize');
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const form = h(
      'form',
      { method: 'dialog' },
      h('h3', {}, `Resize ${i.name}`),
      h('p', {}, `Now ${fmtBytes(i.virtualSize)}.`),
      h(
        'div',
        { class: 'controls' },
        h('label', {}, 'New size ', size),
        h('label', {}, 'Unit ', unit),
      ),
      h('label', {}, shrink, ' Shrink: discard everything past the new size (it cannot be undone)'),
      problem,
      h('div', { class: 'controls' }, ok, cancel),
    );
    const dialog = h('dialog', { 'aria-label': `Resize ${i.name}` }, form);
    const finish = (answer: ResizeAnswer | undefined) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const bytes = parseSize(size.value, unit.value);
      if (!Number.isFinite(bytes) || bytes <= 0) {
        problem.textContent = `"${size.value} ${unit.value}" is not a size.`;
        return;
      }
      if (bytes < i.virtualSize && !shrink.checked) {
        problem.textContent =
          `${fmtBytes(bytes)} is smaller than ${fmtBytes(i.virtualSize)}: tick "Shrink" to ` +
          `discard the ${fmtBytes(i.virtualSize - bytes)} past it.`;
        return;
      }
      finish({ bytes, shrink: shrink.checked });
    });
    cancel.addEventListener('click', () => finish(undefined));
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      finish(undefined);
    });
    document.body.append(dialog);
    dialog.showModal();
    size.focus();
  });
}
