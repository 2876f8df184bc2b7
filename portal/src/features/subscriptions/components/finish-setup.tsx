import {
  Card,
  CardHeader,
  Link,
  makeStyles,
  mergeClasses,
  Text,
  tokens,
} from "@fluentui/react-components";
import { CheckmarkCircleFilled, CircleRegular } from "@fluentui/react-icons";
import type { SectionId } from "@/features/subscriptions/sections";
import { isNamed } from "@/features/subscriptions/utils/default-name";
import type { Subscription } from "@/lib/api-client";

const useStyles = makeStyles({
  card: { marginBottom: tokens.spacingVerticalL, maxWidth: "40rem" },
  heading: { margin: 0 },
  list: {
    listStyleType: "none",
    margin: 0,
    padding: 0,
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
  },
  item: { display: "flex", alignItems: "flex-start", gap: tokens.spacingHorizontalS },
  // The icon sits on the first line of its text, and keeps its size when the text wraps.
  icon: { flexShrink: 0, fontSize: "20px", height: tokens.lineHeightBase300 },
  done: { color: tokens.colorPaletteGreenForeground1 },
  todo: { color: tokens.colorNeutralForeground3 },
});

/** After a purchase: the few steps that make the subscription useful, linking to the sections. */
export function FinishSetup({
  subscription,
  onSelect,
}: {
  subscription: Subscription;
  onSelect: (section: SectionId) => void;
}) {
  const styles = useStyles();
  const steps: { label: string; hint: string; section: SectionId; done: boolean }[] = [
    {
      label: "Name it",
      hint: "e.g. after the client or department",
      section: "settings",
      done: isNamed(subscription),
    },
    {
      label: "Assign licenses",
      hint: "to the people who use SecureMailMerge",
      section: "licenses",
      done: subscription.assigned > 0,
    },
    {
      label: "Add delegated administrators",
      hint: "IT staff who manage licenses with you",
      section: "admins",
      done: false,
    },
  ];
  return (
    <Card className={styles.card} appearance="filled-alternative">
      <CardHeader
        header={
          <Text as="h2" size={500} weight="semibold" className={styles.heading}>
            Finish setting up
          </Text>
        }
      />
      <ol className={styles.list}>
        {steps.map((step) => (
          <li key={step.section} className={styles.item}>
            {step.done ? (
              <CheckmarkCircleFilled className={mergeClasses(styles.icon, styles.done)} aria-label="Done" />
            ) : (
              <CircleRegular className={mergeClasses(styles.icon, styles.todo)} aria-hidden="true" />
            )}
            <Text>
              <Link
                href={`?section=${step.section}`}
                onClick={(event) => {
                  event.preventDefault();
                  onSelect(step.section);
                }}
              >
                {step.label}
              </Link>{" "}
              — {step.hint}
            </Text>
          </li>
        ))}
      </ol>
    </Card>
  );
}
