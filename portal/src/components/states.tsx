import {
  Button,
  makeStyles,
  Spinner,
  Text,
  tokens,
} from "@fluentui/react-components";
import type { ReactNode } from "react";
import { ProblemMessageBar } from "@/components/problem-message-bar";

const useStyles = makeStyles({
  center: {
    display: "flex",
    flexDirection: "column",
    alignItems: "center",
    justifyContent: "center",
    gap: tokens.spacingVerticalM,
    paddingBlock: tokens.spacingVerticalXXXL,
    paddingInline: tokens.spacingHorizontalL,
    textAlign: "center",
  },
  error: {
    display: "flex",
    flexDirection: "column",
    alignItems: "flex-start",
    gap: tokens.spacingVerticalM,
    paddingBlock: tokens.spacingVerticalL,
  },
  icon: { fontSize: "48px", color: tokens.colorBrandForeground1 },
  title: { margin: 0 },
  description: { maxWidth: "36rem", color: tokens.colorNeutralForeground2, textAlign: "center" },
});

export function LoadingState({ label = "Loading…" }: { label?: string }) {
  const styles = useStyles();
  return (
    <div className={styles.center}>
      <Spinner label={label} />
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const styles = useStyles();
  return (
    <div className={styles.error} role="alert">
      <ProblemMessageBar error={error} />
      {onRetry ? <Button onClick={onRetry}>Try again</Button> : null}
    </div>
  );
}

export function EmptyState({
  icon,
  title,
  description,
  action,
}: {
  icon?: ReactNode;
  title: string;
  description?: ReactNode;
  action?: ReactNode;
}) {
  const styles = useStyles();
  return (
    <div className={styles.center}>
      {icon ? <span className={styles.icon} aria-hidden="true">{icon}</span> : null}
      <Text as="h2" size={500} weight="semibold" className={styles.title}>
        {title}
      </Text>
      {description ? <Text className={styles.description}>{description}</Text> : null}
      {action}
    </div>
  );
}
