import {
  Button,
  Combobox,
  Dropdown,
  Field,
  makeStyles,
  Option,
  SearchBox,
  Text,
  tokens,
} from "@fluentui/react-components";
import {
  ArrowDownloadRegular,
  ChevronLeftRegular,
  ChevronRightRegular,
  ArrowForwardRegular,
  DeleteRegular,
  PeopleRegular,
} from "@fluentui/react-icons";
import { useCallback, useEffect, useId, useMemo, useState } from "react";
import { EmptyState, ErrorState, LoadingState } from "@/components/states";
import type { Subscription } from "@/lib/api-client";
import { licensesCsvUrl } from "../api/export-licenses-csv";
import { useLicenses, type License, type LicenseStatus } from "../api/get-licenses";
import { availableMessage } from "../lib/messages";
import { AssignLicensesDialog } from "./assign-licenses-dialog";
import { ImportCsvDialog } from "./import-csv-dialog";
import { MoveLicensesDialog, type MoveSource } from "./move-licenses-dialog";
import { EditLicenseDialog, ReassignDialog, RemoveLicensesDialog } from "./license-dialogs";
import {
  LicensesTable,
  sortLicenses,
  type LicenseAction,
  type Sort,
  type SortColumn,
} from "./licenses-table";

const PAGE_SIZES = [50, 100, 250, 1000];
const EMPTY: ReadonlySet<string> = new Set();
const DEFAULT_PAGE_SIZE = 100;
const SEARCH_DELAY_MS = 300;
const STATUS_OPTIONS: { value: LicenseStatus | ""; text: string }[] = [
  { value: "", text: "All statuses" },
  { value: "active", text: "Active" },
  { value: "expired", text: "Expired" },
];

const useStyles = makeStyles({
  section: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM, minWidth: 0 },
  header: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "center",
    justifyContent: "space-between",
    gap: tokens.spacingVerticalS,
  },
  titles: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXXS },
  title: { margin: 0 },
  muted: { color: tokens.colorNeutralForeground2 },
  actions: { display: "flex", flexWrap: "wrap", alignItems: "center", gap: tokens.spacingHorizontalS },
  filters: {
    display: "grid",
    gridTemplateColumns: "repeat(auto-fit, minmax(180px, 1fr))",
    gap: tokens.spacingHorizontalM,
    alignItems: "start",
  },
  search: { gridColumn: "span 2", "@media (max-width: 520px)": { gridColumn: "auto" } },
  fill: { width: "100%", minWidth: 0, maxWidth: "100%" },
  selection: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "center",
    gap: tokens.spacingHorizontalM,
    paddingBlock: tokens.spacingVerticalXS,
    paddingInline: tokens.spacingHorizontalM,
    borderRadius: tokens.borderRadiusMedium,
    backgroundColor: tokens.colorBrandBackground2,
    color: tokens.colorNeutralForeground1,
  },
  pager: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "center",
    justifyContent: "space-between",
    gap: tokens.spacingHorizontalM,
  },
  pageButtons: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "center",
    gap: tokens.spacingHorizontalS,
  },
  pageSize: {
    display: "flex",
    alignItems: "center",
    gap: tokens.spacingHorizontalS,
    whiteSpace: "nowrap",
  },
  labelActions: { display: "flex", flexWrap: "wrap", gap: tokens.spacingHorizontalS },
  pageSizeDropdown: { minWidth: "96px" },
  numbers: { fontVariantNumeric: "tabular-nums" },
});

type Dialog =
  | { kind: "reassign"; license: License }
  | { kind: "label"; license: License }
  | { kind: "remove"; emails: string[] }
  | { kind: "move"; source: MoveSource };

/** Why licenses cannot be assigned here, or undefined when they can. */
function assignBlocked(subscription: Subscription): string | undefined {
  if (subscription.status === "active" || subscription.status === "past_due") return undefined;
  if (subscription.status === "pending") {
    return "Licenses can be assigned as soon as the payment is confirmed.";
  }
  return "The subscription has expired: renew it to assign licenses.";
}

/** The subscription's licenses: search, filter, page, assign, import, export and remove. */
export function LicensesSection({ subscription }: { subscription: Subscription }) {
  const styles = useStyles();
  const headingId = useId();
  const reasonId = useId();
  const canAssign = subscription.permissions.includes("assign");
  const blocked = assignBlocked(subscription);

  const [search, setSearch] = useState("");
  const [q, setQ] = useState("");
  const [label, setLabel] = useState("");
  const [labelInput, setLabelInput] = useState("");
  const [status, setStatus] = useState<LicenseStatus | "">("");
  const [limit, setLimit] = useState(DEFAULT_PAGE_SIZE);
  // Cursors of the pages before this one: "Previous" pops, "Next" pushes (the API's cursors
  // only go forward).
  const [paging, setPaging] = useState<{ key: string; cursors: (string | undefined)[] }>({
    key: "",
    cursors: [undefined],
  });
  const [sort, setSort] = useState<Sort>({ column: "email", direction: "ascending" });
  const [selection, setSelection] = useState<{ key: string; emails: ReadonlySet<string> }>({
    key: "",
    emails: new Set(),
  });
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [knownLabels, setKnownLabels] = useState<ReadonlySet<string>>(new Set());

  useEffect(() => {
    const timer = window.setTimeout(() => setQ(search.trim()), SEARCH_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [search]);

  // A new search, filter or page size starts again at the first page; another page, or another
  // filter, starts with nothing selected.
  const filterKey = JSON.stringify([q, label, status, limit]);
  const cursors = paging.key === filterKey ? paging.cursors : [undefined];
  const cursor = cursors[cursors.length - 1];
  const viewKey = `${filterKey}|${cursor ?? ""}`;
  const selected = selection.key === viewKey ? selection.emails : EMPTY;
  const setSelected = useCallback(
    (update: (current: ReadonlySet<string>) => ReadonlySet<string>) =>
      setSelection((current) => ({
        key: viewKey,
        emails: update(current.key === viewKey ? current.emails : EMPTY),
      })),
    [viewKey],
  );
  const page = useLicenses(subscription.id, {
    q: q || undefined,
    label: label || undefined,
    status: status || undefined,
    limit,
    cursor,
  });
  const items = page.data?.items;

  // The label filter offers every label seen so far (the API has no list of labels).
  const [labelsFrom, setLabelsFrom] = useState<License[] | undefined>();
  if (items && items !== labelsFrom) {
    setLabelsFrom(items);
    const labels = items.map((license) => license.label).filter((value): value is string => !!value);
    if (!labels.every((value) => knownLabels.has(value))) {
      setKnownLabels(new Set([...knownLabels, ...labels]));
    }
  }

  const sorted = useMemo(() => (items ? sortLicenses(items, sort) : []), [items, sort]);
  const rows = sorted;

  const onSort = useCallback((column: SortColumn) => {
    setSort((current) => ({
      column,
      direction:
        current.column === column && current.direction === "ascending" ? "descending" : "ascending",
    }));
  }, []);
  const onSelect = useCallback(
    (email: string, checked: boolean) =>
      setSelected((current) => {
        const next = new Set(current);
        if (checked) next.add(email);
        else next.delete(email);
        return next;
      }),
    [setSelected],
  );
  const onSelectAll = useCallback(
    (checked: boolean) =>
      setSelected(() => (checked ? new Set(items?.map((license) => license.email)) : EMPTY)),
    [items, setSelected],
  );
  const onAction = useCallback((action: LicenseAction, license: License) => {
    setDialog(action === "remove" ? { kind: "remove", emails: [license.email] } : { kind: action, license });
  }, []);

  const pageNumber = cursors.length;
  const first = (pageNumber - 1) * limit + 1;
  const filtered = Boolean(q || label || status);
  const paged = pageNumber > 1 || Boolean(page.data?.next_cursor);
  const selectedHere = [...selected];

  let body;
  if (page.isPending) body = <LoadingState label="Loading licenses…" />;
  else if (page.isError && !page.data)
    body = <ErrorState error={page.error} onRetry={() => void page.refetch()} />;
  else if (rows.length === 0)
    body = filtered ? (
      <EmptyState
        title="No licenses match"
        description="Search by the start of an address or its domain, or clear the filters."
        action={
          <Button
            onClick={() => {
              setSearch("");
              setQ("");
              setLabel("");
              setLabelInput("");
              setStatus("");
            }}
          >
            Clear filters
          </Button>
        }
      />
    ) : (
      <EmptyState
        icon={<PeopleRegular />}
        title="No licenses assigned yet"
        description={
          canAssign && !blocked
            ? "Assign licenses to the people who use SecureMailMerge: each gets a welcome email with installation steps."
            : "Licenses assigned to people appear here."
        }
      />
    );
  else
    body = (
      <LicensesTable
        items={rows}
        sort={sort}
        onSort={onSort}
        selectable={canAssign}
        selected={selected}
        onSelect={onSelect}
        onSelectAll={onSelectAll}
        canReassign={!blocked}
        onAction={onAction}
        loading={page.isPlaceholderData}
      />
    );

  return (
    <section className={styles.section} aria-labelledby={headingId}>
      <div className={styles.header}>
        <div className={styles.titles}>
          <Text as="h2" id={headingId} size={600} weight="semibold" className={styles.title}>
            Licenses
          </Text>
          <Text className={`${styles.muted} ${styles.numbers}`}>
            {subscription.assigned.toLocaleString("en-US")} assigned ·{" "}
            {availableMessage(subscription.available, subscription.quantity)}
          </Text>
        </div>
        <div className={styles.actions}>
          {canAssign ? (
            <>
              <AssignLicensesDialog
                subscription={subscription}
                disabledReasonId={blocked ? reasonId : undefined}
              />
              <ImportCsvDialog subscription={subscription} disabled={blocked !== undefined} />
            </>
          ) : null}
          <Button
            as="a"
            href={licensesCsvUrl(subscription.id, label || undefined)}
            download="licenses.csv"
            icon={<ArrowDownloadRegular />}
          >
            Export CSV
          </Button>
        </div>
      </div>
      {canAssign && blocked ? (
        <Text id={reasonId} className={styles.muted}>
          {blocked}
        </Text>
      ) : null}

      <div className={styles.filters} role="search" aria-label="Filter licenses">
        <Field label="Search" hint="The start of an address or of its domain" className={styles.search}>
          <SearchBox
            className={styles.fill}
            value={search}
            placeholder="ann@ or contoso.com"
            onChange={(_, data) => setSearch(data.value)}
          />
        </Field>
        <Field label="Label">
          <Combobox
            className={styles.fill}
            freeform
            clearable
            placeholder="Any label"
            value={labelInput}
            selectedOptions={label ? [label] : []}
            onChange={(event) => setLabelInput(event.target.value)}
            onOptionSelect={(_, data) => {
              const value = data.optionValue ?? "";
              setLabel(value);
              setLabelInput(data.optionText ?? value);
            }}
            onBlur={() => setLabel(labelInput.trim())}
            onKeyDown={(event) => {
              if (event.key === "Enter") setLabel(labelInput.trim());
            }}
          >
            {[...knownLabels]
              .filter((value) => value.toLowerCase().includes(labelInput.trim().toLowerCase()))
              .sort((a, b) => a.localeCompare(b))
              .map((value) => (
                <Option key={value} value={value}>
                  {value}
                </Option>
              ))}
          </Combobox>
        </Field>
        <Field label="Status">
          <Dropdown
            className={styles.fill}
            value={STATUS_OPTIONS.find((option) => option.value === status)?.text}
            selectedOptions={[status]}
            onOptionSelect={(_, data) => setStatus((data.optionValue ?? "") as LicenseStatus | "")}
          >
            {STATUS_OPTIONS.map((option) => (
              <Option key={option.value} value={option.value}>
                {option.text}
              </Option>
            ))}
          </Dropdown>
        </Field>
      </div>

      {canAssign && selectedHere.length > 0 ? (
        <div className={styles.selection} role="status">
          <Text weight="semibold">{selectedHere.length.toLocaleString("en-US")} selected</Text>
          <Button
            icon={<DeleteRegular />}
            onClick={() => setDialog({ kind: "remove", emails: selectedHere })}
          >
            Remove
          </Button>
          <Button
            icon={<ArrowForwardRegular />}
            onClick={() => setDialog({ kind: "move", source: { emails: selectedHere } })}
          >
            Move to another subscription
          </Button>
          <Button appearance="subtle" onClick={() => setSelected(() => EMPTY)}>
            Clear selection
          </Button>
        </div>
      ) : null}

      {canAssign && label && selectedHere.length === 0 && rows.length > 0 ? (
        <div className={styles.labelActions}>
          <Button
            icon={<ArrowForwardRegular />}
            onClick={() => setDialog({ kind: "move", source: { label } })}
          >
            Move all labelled “{label}” to another subscription
          </Button>
        </div>
      ) : null}

      {body}

      {page.data && (rows.length > 0 || pageNumber > 1) ? (
        <div className={styles.pager}>
          <Text className={`${styles.muted} ${styles.numbers}`} aria-live="polite">
            {rows.length === 0
              ? `Page ${pageNumber}`
              : `Page ${pageNumber} · ${first.toLocaleString("en-US")}–${(first + rows.length - 1).toLocaleString("en-US")}`}
            {paged && sort.column !== "email" ? " · sorted within this page" : ""}
          </Text>
          <div className={styles.pageButtons}>
            <div className={styles.pageSize}>
              <Text id={`${headingId}-size`}>Per page</Text>
              <Dropdown
                className={styles.pageSizeDropdown}
                aria-labelledby={`${headingId}-size`}
                value={String(limit)}
                selectedOptions={[String(limit)]}
                onOptionSelect={(_, data) => setLimit(Number(data.optionValue ?? DEFAULT_PAGE_SIZE))}
              >
                {PAGE_SIZES.map((size) => (
                  <Option key={size} value={String(size)}>
                    {String(size)}
                  </Option>
                ))}
              </Dropdown>
            </div>
            <Button
              icon={<ChevronLeftRegular />}
              disabled={pageNumber === 1}
              onClick={() => setPaging({ key: filterKey, cursors: cursors.slice(0, -1) })}
            >
              Previous
            </Button>
            <Button
              icon={<ChevronRightRegular />}
              iconPosition="after"
              disabled={!page.data.next_cursor || page.isPlaceholderData}
              onClick={() => {
                const next = page.data?.next_cursor;
                if (next) setPaging({ key: filterKey, cursors: [...cursors, next] });
              }}
            >
              Next
            </Button>
          </div>
        </div>
      ) : null}

      {dialog?.kind === "reassign" ? (
        <ReassignDialog
          subscriptionId={subscription.id}
          license={dialog.license}
          onClose={() => setDialog(null)}
        />
      ) : null}
      {dialog?.kind === "label" ? (
        <EditLicenseDialog
          subscriptionId={subscription.id}
          license={dialog.license}
          onClose={() => setDialog(null)}
        />
      ) : null}
      {dialog?.kind === "move" ? (
        <MoveLicensesDialog
          subscription={subscription}
          source={dialog.source}
          onClose={() => setDialog(null)}
          onMoved={(moved) =>
            setSelected((current) => new Set([...current].filter((email) => !moved.includes(email))))
          }
        />
      ) : null}
      {dialog?.kind === "remove" ? (
        <RemoveLicensesDialog
          subscriptionId={subscription.id}
          emails={dialog.emails}
          onClose={() => setDialog(null)}
          onRemoved={(removed) =>
            setSelected((current) => new Set([...current].filter((email) => !removed.includes(email))))
          }
        />
      ) : null}
    </section>
  );
}
