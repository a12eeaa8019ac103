/**
 * Forms marked data-confirm ask first, in a <dialog>: "Refund $25.00 to …?". The form keeps its
 * idempotency key, so even a double confirmation refunds once. Without JavaScript the form submits directly.
 */
document.addEventListener('DOMContentLoaded', () => {
  const dialog = document.querySelector<HTMLDialogElement>('dialog#confirm-dialog');
  if (!dialog) return;
  const message = dialog.querySelector('[data-message]')!;
  let pending: HTMLFormElement | null = null;
  for (const form of document.querySelectorAll<HTMLFormElement>('form[data-confirm]')) {
    form.addEventListener('submit', (event) => {
      if (form.dataset.confirmed === '1') return;
      const amount = (form.querySelector('input[name="amount"]') as HTMLInputElement | null)?.value;
      // More than can be given back is refused by the server beside the field: nothing to confirm.
      if (amount && form.dataset.full && Number(amount) > Number(form.dataset.full)) return;
      event.preventDefault();
      pending = form;
      message.textContent = form.dataset.confirm!.replace('{amount}', amount ? amount : form.dataset.full ?? '');
      dialog.showModal();
    });
  }
  dialog.querySelector('[data-cancel]')!.addEventListener('click', () => dialog.close());
  dialog.querySelector('[data-ok]')!.addEventListener('click', () => {
    dialog.close();
    if (!pending) return;
    pending.dataset.confirmed = '1';
    (pending.querySelector('button[type="submit"]') as HTMLButtonElement).disabled = true;
    pending.submit();
  });
});
export {};
