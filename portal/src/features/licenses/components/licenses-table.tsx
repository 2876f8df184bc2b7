import {
  Badge,
  Button,
  Checkbox,
  makeStyles,
  Menu,
  MenuItem,
  MenuList,
  MenuPopover,
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
import { memo, startTransition, useCallback, useEffect, useState } from "react";
import { StatusBadge } from "@/components/status-badge";
import { formatDate } from "@/lib/format";
import type { License } from "../api/get-licenses";

export type SortColumn = "email" | "label" | "status" | "assigned_at" | "last_seen_at";
export interface Sort {
  column: SortColumn;
  direction: "ascending" | "descending";
}
export type LicenseAction = "reassign" | "label" | "remove";

const FIRST_ROWS = 100;
const MORE_ROWS = 150;

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
  shared: { marginInlineStart: tokens.spacingHorizontalS, verticalAlign: "middle" },
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
  const key = (license: License): string | null => {
    const value = license[sort.column];
    return value === null || value === undefined ? null : String(value).toLowerCase();
  };
  return [...items].sort((a, b) => {
    const first = key(a);
    const second = key(b);
    // Licenses never seen, or without a label, come last whichever the direction.
    if (first !== second && (first === null || second === null)) return first === null ? 1 : -1;
    const primary = first === null || second === null ? 0 : first.localeCompare(second);
    return primary !== 0 ? primary * factor : a.email.localeCompare(b.email);
  });
}

const LicenseRow = memo(function LicenseRow({
  license,
  selectable,
  selected,
  menuOpen,
  onSelect,
  onMenu,
}: {
  license: License;
  selectable: boolean;
  selected: boolean;
  menuOpen: boolean;
  onSelect: (email: string, selected: boolean) => void;
  onMenu: (license: License, target: HTMLElement) => void;
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
        {license.shared_mailbox ? (
          <Badge className={styles.shared} appearance="tint" color="informative" shape="rounded">
            Shared mailbox
          </Badge>
        ) : null}
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
          <Button
            appearance="subtle"
            icon={<MoreHorizontalRegular />}
            aria-label={`More actions for ${license.email}`}
            aria-haspopup="menu"
            aria-expanded={menuOpen}
            onClick={(event) => onMenu(license, event.currentTarget)}
          />
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
  // One menu for every row, placed at the row's button: a menu per row makes a page of 1,000
  // licenses slow to render.
  const [menu, setMenu] = useState<{ license: License; target: HTMLElement } | null>(null);
  const onMenu = useCallback(
    (license: License, target: HTMLElement) =>
      setMenu((current) => (current?.license.email === license.email ? null : { license, target })),
    [],
  );
  const act = (action: LicenseAction) => {
    if (menu) onAction(action, menu.license);
    setMenu(null);
  };
  // A long page is drawn in steps: the first rows at once, the rest just after, so 1,000
  // licenses show as quickly as 100 and typing or scrolling never waits for the last row.
  const [drawn, setDrawn] = useState({ items, count: FIRST_ROWS });
  const count = drawn.items === items ? drawn.count : FIRST_ROWS;
  if (drawn.items !== items) setDrawn({ items, count: FIRST_ROWS });
  useEffect(() => {
    if (count >= items.length) return;
    const timer = window.setTimeout(
      () => startTransition(() => setDrawn({ items, count: count + MORE_ROWS })),
      0,
    );
    return () => window.clearTimeout(timer);
  }, [count, items]);
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
          {items.slice(0, count).map((license) => (
            <LicenseRow
              key={license.email}
              license={license}
              selectable={selectable}
              selected={selected.has(license.email)}
              menuOpen={menu?.license.email === license.email}
              onSelect={onSelect}
              onMenu={onMenu}
            />
          ))}
        </TableBody>
      </Table>
      <Menu
        open={menu !== null}
        onOpenChange={(_, data) => {
          if (!data.open) {
            menu?.target.focus();
            setMenu(null);
          }
        }}
        positioning={{ target: menu?.target, position: "below", align: "end" }}
      >
        <MenuPopover>
          <MenuList aria-label={menu ? `Actions for ${menu.license.email}` : undefined}>
            <MenuItem icon={<ArrowSwapRegular />} disabled={!canReassign} onClick={() => act("reassign")}>
              Reassign
            </MenuItem>
            <MenuItem icon={<TagRegular />} onClick={() => act("label")}>
              Edit
            </MenuItem>
            <MenuItem icon={<DeleteRegular />} onClick={() => act("remove")}>
              Remove
            </MenuItem>
          </MenuList>
        </MenuPopover>
      </Menu>
    </div>
  );
}
