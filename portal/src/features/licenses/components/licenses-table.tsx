import {
  Badge,
  Button,
  Checkbox,
  makeStyles,
  Menu,
  MenuItem,
  MenuList,
  MenuPopover,
  MenuTrigger,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  tokens,
} from "@fluentui/react-components";
import {
  ArrowSwapRegular,
  DeleteRegular,
  MoreHorizontalRegular,
  TagRegular,
} from "@fluentui/react-icons";
import { memo } from "react";
import { StatusBadge } from "@/components/status-badge";
import { formatDate } from "@/lib/format";
import type { License } from "../api/get-licenses";

export type SortColumn = "email" | "label" | "status" | "assigned_at" | "last_seen_at";
export interface Sort {
  column: SortColumn;
  direction: "ascending" | "descending";
}
export type LicenseAction = "reassign" | "label" | "remove";

const COLUMNS: { column: SortColumn; label: string }[] = [
  { column: "email", label: "Email" },
  { column: "label", label: "Label" },
  { column: "status", label: "Status" },
  { column: "assigned_at", label: "Assigned" },
  { column: "last_seen_at", label: "Last seen" },
];

const useStyles = makeStyles({
  scroller: {
    overflowX: "auto",
    maxWidth: "100%",
    borderRadius: tokens.borderRadiusMedium,
    border: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
    ":focus-visible": {
      outline: `${tokens.strokeWidthThick} solid ${tokens.colorStrokeFocus2}`,
    },
  },
  table: { minWidth: "760px", tableLayout: "auto" },
  dimmed: { opacity: 0.6 },
  select: { width: "44px" },
  actions: { width: "52px" },
  email: { overflowWrap: "anywhere", fontWeight: tokens.fontWeightSemibold },
  muted: { color: tokens.colorNeutralForeground3 },
  date: { whiteSpace: "nowrap", fontVariantNumeric: "tabular-nums" },
  hidden: {
    position: "absolute",
    width: "1px",
    height: "1px",
    overflow: "hidden",
    clip: "rect(0 0 0 0)",
    whiteSpace: "nowrap",
  },
});

/** Sorts the rows of the page on screen (the API pages in address order only). */
export function sortLicenses(items: License[], sort: Sort): License[] {
  const factor = sort.direction === "ascending" ? 1 : -1;
  const key = (license: License): string => {
    const value = license[sort.column];
    // Licenses never seen (or without a label) sort after the others when ascending.
    return value === null || value === undefined ? "\uffff" : String(value).toLowerCase();
  };
  return [...items].sort((a, b) => {
    const primary = key(a).localeCompare(key(b));
    return primary !== 0 ? primary * factor : a.email.localeCompare(b.email);
  });
}

const LicenseRow = memo(function LicenseRow({
  license,
  selectable,
  selected,
  canReassign,
  onSelect,
  onAction,
}: {
  license: License;
  selectable: boolean;
  selected: boolean;
  canReassign: boolean;
  onSelect: (email: string, selected: boolean) => void;
  onAction: (action: LicenseAction, license: License) => void;
}) {
  const styles = useStyles();
  return (
    <TableRow aria-selected={selectable ? selected : undefined}>
      {selectable ? (
        <TableCell className={styles.select}>
          <Checkbox
            checked={selected}
            aria-label={`Select ${license.email}`}
            onChange={(_, data) => onSelect(license.email, data.checked === true)}
          />
        </TableCell>
      ) : null}
      <TableCell>
        <Text className={styles.email}>{license.email}</Text>
      </TableCell>
      <TableCell>
        {license.label ? license.label : <Text className={styles.muted}>—</Text>}
      </TableCell>
      <TableCell>
        <StatusBadge status={license.status} />
      </TableCell>
      <TableCell className={styles.date}>{formatDate(license.assigned_at)}</TableCell>
      <TableCell className={styles.date}>
        {license.last_seen_at ? (
          formatDate(license.last_seen_at)
        ) : (
          <Badge appearance="tint" color="warning" shape="rounded">
            Never
          </Badge>
        )}
      </TableCell>
      {selectable ? (
        <TableCell className={styles.actions}>
          <Menu>
            <MenuTrigger disableButtonEnhancement>
              <Button
                appearance="subtle"
                icon={<MoreHorizontalRegular />}
                aria-label={`More actions for ${license.email}`}
              />
            </MenuTrigger>
            <MenuPopover>
              <MenuList>
                <MenuItem
                  icon={<ArrowSwapRegular />}
                  disabled={!canReassign}
                  onClick={() => onAction("reassign", license)}
                >
                  Reassign
                </MenuItem>
                <MenuItem icon={<TagRegular />} onClick={() => onAction("label", license)}>
                  Edit label
                </MenuItem>
                <MenuItem icon={<DeleteRegular />} onClick={() => onAction("remove", license)}>
                  Remove
                </MenuItem>
              </MenuList>
            </MenuPopover>
          </Menu>
        </TableCell>
      ) : null}
    </TableRow>
  );
});

/**
 * One page of licenses. `selectable` (the caller may assign) adds the checkboxes and each row's
 * "More actions" menu.
 */
export function LicensesTable({
  items,
  sort,
  onSort,
  selectable,
  selected,
  onSelect,
  onSelectAll,
  canReassign,
  onAction,
  loading,
}: {
  items: License[];
  sort: Sort;
  onSort: (column: SortColumn) => void;
  selectable: boolean;
  selected: ReadonlySet<string>;
  onSelect: (email: string, selected: boolean) => void;
  onSelectAll: (selected: boolean) => void;
  canReassign: boolean;
  onAction: (action: LicenseAction, license: License) => void;
  loading: boolean;
}) {
  const styles = useStyles();
  const chosen = items.filter((license) => selected.has(license.email)).length;
  const all = chosen > 0 && chosen === items.length;
  return (
    <div className={styles.scroller} role="region" aria-label="Licenses" tabIndex={0}>
      <Table
        className={loading ? `${styles.table} ${styles.dimmed}` : styles.table}
        aria-label="Licenses"
        aria-busy={loading}
        size="small"
      >
        <TableHeader>
          <TableRow>
            {selectable ? (
              <TableHeaderCell className={styles.select}>
                <Checkbox
                  checked={all ? true : chosen > 0 ? "mixed" : false}
                  aria-label="Select all licenses on this page"
                  onChange={() => onSelectAll(!all)}
                />
              </TableHeaderCell>
            ) : null}
            {COLUMNS.map(({ column, label }) => (
              <TableHeaderCell
                key={column}
                sortable
                sortDirection={sort.column === column ? sort.direction : undefined}
                onClick={() => onSort(column)}
              >
                {label}
              </TableHeaderCell>
            ))}
            {selectable ? (
              <TableHeaderCell className={styles.actions}>
                <span className={styles.hidden}>Actions</span>
              </TableHeaderCell>
            ) : null}
          </TableRow>
        </TableHeader>
        <TableBody>
          {items.map((license) => (
            <LicenseRow
              key={license.email}
              license={license}
              selectable={selectable}
              selected={selected.has(license.email)}
              canReassign={canReassign}
              onSelect={onSelect}
              onAction={onAction}
            />
          ))}
        </TableBody>
      </Table>
    </div>
  );
}
