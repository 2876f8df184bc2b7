import { makeStyles, Text, tokens } from "@fluentui/react-components";
import { useEffect, type ReactNode } from "react";

const useStyles = makeStyles({
  header: {
    display: "grid",
    gridTemplateColumns: "minmax(0, 1fr) auto",
    gridTemplateAreas: `"title actions" "details details"`,
    alignItems: "center",
    columnGap: tokens.spacingHorizontalL,
    rowGap: tokens.spacingVerticalS,
    marginTop: tokens.spacingVerticalXL,
    marginBottom: tokens.spacingVerticalXL,
    // On a narrow screen the actions follow the lines that describe the page.
    "@media (max-width: 600px)": {
      gridTemplateColumns: "minmax(0, 1fr)",
      gridTemplateAreas: `"title" "details" "actions"`,
    },
  },
  // As in the Microsoft 365 admin center, the actions sit on the title's line, centred on it.
  title: { gridArea: "title", margin: 0, overflowWrap: "anywhere" },
  details: {
    gridArea: "details",
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
    minWidth: 0,
  },
  description: { color: tokens.colorNeutralForeground2 },
  actions: { gridArea: "actions", display: "flex", flexWrap: "wrap", gap: tokens.spacingHorizontalS },
});

/** The page's one h1, its document title, an optional line below it and its main actions. */
export function PageHeader({
  title,
  description,
  actions,
  children,
}: {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  children?: ReactNode;
}) {
  const styles = useStyles();
  useEffect(() => {
    document.title = `${title} – SecureMailMerge Licensing`;
  }, [title]);
  return (
    <div className={styles.header}>
      <Text as="h1" size={800} weight="semibold" className={styles.title}>
        {title}
      </Text>
      {actions ? <div className={styles.actions}>{actions}</div> : null}
      {description || children ? (
        <div className={styles.details}>
          {description ? <Text className={styles.description}>{description}</Text> : null}
          {children}
        </div>
      ) : null}
    </div>
  );
}
