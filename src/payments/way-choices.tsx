import type { WayChoice } from './ways-to-pay/way.js';

/** The form field a way's choice is sent in: its fields, as a query string (the checkout routes read it). */
export const WAY_CHOICE_FIELD = 'pay_by';

/** The checkout form's buttons for the ways besides a card (Checkout.choices): each sends its fields in place of the card. */
export function OtherWays({ choices }: { choices: WayChoice[] }) {
  if (choices.length === 0) return null;
  return (
    <div class="other-ways">
      <p class="muted">Or, without a card:</p>
      {choices.map((choice) => (
        <button type="submit" class="secondary" name={WAY_CHOICE_FIELD} value={new URLSearchParams(choice.fields).toString()} data-way-choice>
          {choice.label}
        </button>
      ))}
    </div>
  );
}
