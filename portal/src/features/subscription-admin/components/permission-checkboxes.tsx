import { Checkbox, makeStyles, Text, tokens } from "@fluentui/react-components";
import { useId } from "react";
import type { Permission } from "@/lib/api-client";
import { permissionName } from "@/lib/format";

/** What each permission lets an administrator do, in the guide's words. */
const DESCRIPTIONS: Record<Permission, string> = {
  assign: "Can add and remove users.",
  view: "Can see subscription details and license assignments. Always on.",
  quantity: "Can increase or decrease the number of licenses.",
  billing: "Can see invoices and update payment methods.",
};

const useStyles = makeStyles({
  fieldset: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalXS,
    margin: 0,
    padding: 0,
    border: "none",
    minWidth: 0,
  },
  legend: {
    padding: 0,
    marginBottom: tokens.spacingVerticalXS,
    fontWeight: tokens.fontWeightSemibold,
    fontSize: tokens.fontSizeBase300,
    lineHeight: tokens.lineHeightBase300,
  },
  option: { display: "flex", flexDirection: "column" },
  description: {
    color: tokens.colorNeutralForeground2,
    paddingInlineStart: "36px",
    marginTop: `calc(-1 * ${tokens.spacingVerticalS})`,
  },
});

/**
 * The permissions of an administrator or API key as checkboxes: "View subscription" is always
 * on (checked and disabled); `options` are the ones that may be chosen, in the guide's order.
 */
export function PermissionCheckboxes({
  legend,
  options,
  value,
  onChange,
  disabled = false,
}: {
  legend: string;
  options: Permission[];
  value: Set<Permission>;
  onChange: (value: Set<Permission>) => void;
  disabled?: boolean;
}) {
  const styles = useStyles();
  const baseId = useId();
  return (
    <fieldset className={styles.fieldset}>
      <legend className={styles.legend}>{legend}</legend>
      {options.map((permission) => {
        const always = permission === "view";
        const descriptionId = `${baseId}-${permission}`;
        return (
          <div key={permission} className={styles.option}>
            <Checkbox
              label={permissionName(permission)}
              checked={always || value.has(permission)}
              disabled={always || disabled}
              aria-describedby={descriptionId}
              onChange={(_, data) => {
                const next = new Set(value);
                if (data.checked === true) next.add(permission);
                else next.delete(permission);
                onChange(next);
              }}
            />
            <Text id={descriptionId} size={200} className={styles.description}>
              {DESCRIPTIONS[permission]}
            </Text>
          </div>
        );
      })}
    </fieldset>
  );
}
