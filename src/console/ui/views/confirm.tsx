import { useLayoutEffect, useRef } from 'preact/hooks';

/**
 * A modal question before anything is ended: the browser's own <dialog> (focus kept inside, Escape
 * cancels), focused on "Cancel" so a stray Enter ends nothing.
 */
export function Confirm(props: {
  question: string;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  // Modal from the first frame it is drawn in: a key pressed at once (Escape) must reach it, not the page.
  useLayoutEffect(() => {
    dialog.current?.showModal();
    cancel.current?.focus();
  }, []);
  return (
    <dialog
      ref={dialog}
      aria-labelledby="confirm-question"
      // Escape closes the dialog the browser's way (its close watcher may not let a page refuse that).
      onClose={props.onCancel}
    >
      <p id="confirm-question">{props.question}</p>
      <div class="buttons">
        <button type="button" ref={cancel} onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
