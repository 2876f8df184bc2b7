import { Badge, type BadgeProps } from "@fluentui/react-components";

const STATUS: Record<string, { label: string; color: BadgeProps["color"] }> = {
  active: { label: "Active", color: "success" },
  past_due: { label: "Past due", color: "warning" },
  expired: { label: "Expired", color: "danger" },
  pending: { label: "Pending", color: "informative" },
};

/** A subscription's status in words and colour (never colour alone). */
export function StatusBadge({ status }: { status: string }) {
  const known = STATUS[status] ?? { label: status, color: "subtle" as const };
  return (
    <Badge appearance="tint" color={known.color} shape="rounded">
      {known.label}
    </Badge>
  );
}
