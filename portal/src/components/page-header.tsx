import { makeStyles, Text, tokens } from "@fluentui/react-components";
import { useEffect, type ReactNode } from "react";

const useStyles = makeStyles({
  header: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "flex-start",
    justifyContent: "space-between",
    gap: tokens.spacingHorizontalL,
    marginBottom: tokens.spacingVerticalL,
  },
  titles: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXS, minWidth: 0 },
  title: { overflowWrap: "anywhere" },
  description: { color: tokens.colorNeutralForeground2 },
  actions: { display: "flex", flexWrap: "wrap", gap: tokens.spacingHorizontalS },
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
      <div className={styles.titles}>
        <Text as="h1" size={800} weight="semibold" className={styles.title}>
          {title}
        </Text>
        {description ? <Text className={styles.description}>{description}</Text> : null}
        {children}
      </div>
      {actions ? <div className={styles.actions}>{actions}</div> : null}
    </div>
  );
}
