// A button that cannot act right now: greyed and inert, yet still focusable. A `disabled`
// button would drop the keyboard focus to the page's body, mid-task.

export function setBusy(button: HTMLButtonElement, busy: boolean): void {
  if (busy) button.setAttribute('aria-disabled', 'true');
  else button.removeAttribute('aria-disabled');
}

export const isBusy = (button: HTMLButtonElement) =>
  button.getAttribute('aria-disabled') === 'true';
