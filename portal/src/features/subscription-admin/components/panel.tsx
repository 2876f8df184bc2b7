import { makeStyles, mergeClasses, TableCell, Text, tokens } from "@fluentui/react-components";
import { useId, type ReactNode } from "react";

const useStyles = makeStyles({
  panel: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalM,
    minWidth: 0,
    padding: tokens.spacingHorizontalL,
    borderRadius: tokens.borderRadiusLarge,
    backgroundColor: tokens.colorNeutralBackground1,
    border: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
    "@media (max-width: 480px)": { padding: tokens.spacingHorizontalM },
  },
  head: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "flex-start",
    justifyContent: "space-between",
    gap: tokens.spacingHorizontalM,
  },
  titles: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXXS, minWidth: 0 },
  title: { margin: 0 },
  description: { color: tokens.colorNeutralForeground2, maxWidth: "60ch" },
  actions: { display: "flex", flexWrap: "wrap", gap: tokens.spacingHorizontalS },
});

/** One titled part of a section: its h2, a line saying what it is for, its actions. */
export function Panel({
  title,
  description,
  actions,
  children,
}: {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
}) {
  const styles = useStyles();
  const headingId = useId();
  return (
    <section className={styles.panel} aria-labelledby={headingId}>
      <div className={styles.head}>
        <div className={styles.titles}>
          <Text as="h2" id={headingId} size={500} weight="semibold" className={styles.title}>
            {title}
          </Text>
          {description ? <Text className={styles.description}>{description}</Text> : null}
        </div>
        {actions ? <div className={styles.actions}>{actions}</div> : null}
      </div>
      {children}
    </section>
  );
}

const useStackStyles = makeStyles({
  stack: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalL, minWidth: 0 },
});

export function PanelStack({ children }: { children: ReactNode }) {
  const styles = useStackStyles();
  return <div className={styles.stack}>{children}</div>;
}

const useTableStyles = makeStyles({
  scroller: { overflowX: "auto", maxWidth: "100%" },
});

const NARROW = "@media (max-width: 640px)";

/**
 * On a narrow screen each row of a table becomes a small card: the header row is hidden (for
 * eyes only) and every cell shows its column's name from its `data-label`.
 */
export const useStackedTableStyles = makeStyles({
  table: { [NARROW]: { minWidth: 0, display: "block" } },
  header: {
    [NARROW]: {
      position: "absolute",
      width: "1px",
      height: "1px",
      overflow: "hidden",
      clipPath: "inset(50%)",
      whiteSpace: "nowrap",
    },
  },
  body: { [NARROW]: { display: "block" } },
  row: {
    [NARROW]: {
      display: "flex",
      flexDirection: "column",
      alignItems: "stretch",
      gap: tokens.spacingVerticalXS,
      paddingBlock: tokens.spacingVerticalM,
    },
  },
  cell: {
    [NARROW]: {
      display: "flex",
      alignItems: "baseline",
      gap: tokens.spacingHorizontalM,
      height: "auto",
      minHeight: "24px",
      paddingInline: 0,
      minWidth: 0,
      "::before": {
        content: "attr(data-label)",
        flexShrink: 0,
        width: "6.5rem",
        color: tokens.colorNeutralForeground2,
      },
    },
  },
  // The cell that names the row (an email, a key's name) heads its card, without a label.
  lead: {
    [NARROW]: {
      order: -1,
      fontWeight: tokens.fontWeightSemibold,
      "::before": { display: "none" },
    },
  },
  // A cell with nothing to say is left out of the card.
  empty: { [NARROW]: { display: "none" } },
});

/** A table that scrolls inside itself on a narrow screen (the page never scrolls sideways). */
export function TableScroller({ label, children }: { label: string; children: ReactNode }) {
  const styles = useTableStyles();
  return (
    <div className={styles.scroller} role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

/** A body cell of a stacked table: `label` names its column on a narrow screen. */
export function Cell({
  label,
  lead = false,
  empty = false,
  className,
  children,
}: {
  label: string;
  lead?: boolean;
  empty?: boolean;
  className?: string;
  children?: ReactNode;
}) {
  const stacked = useStackedTableStyles();
  return (
    <TableCell
      data-label={label}
      className={mergeClasses(
        stacked.cell,
        lead && stacked.lead,
        empty && stacked.empty,
        className,
      )}
    >
      {children}
    </TableCell>
  );
}
