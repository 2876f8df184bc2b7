import { Checkbox, Field } from "@fluentui/react-components";
import { SHARED_MAILBOX_HINT } from "../lib/messages";

/** The "Shared mailbox" mark of a license, as the assign and edit dialogs ask for it. */
export function SharedMailboxField({
  checked,
  onChange,
}: {
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  return (
    <Field hint={SHARED_MAILBOX_HINT}>
      <Checkbox
        label="Shared mailbox"
        checked={checked}
        onChange={(_, data) => onChange(data.checked === true)}
      />
    </Field>
  );
}
